"""Year partitions for feeds whose documents each carry one data year."""

from dagster import TimeWindowPartitionsDefinition

FIRST_PARTITION_YEAR = "2010"  # earliest data year of the one-year-per-document feeds

data_year_partitions = TimeWindowPartitionsDefinition(cron_schedule="0 0 1 1 *", start=FIRST_PARTITION_YEAR, fmt="%Y")
