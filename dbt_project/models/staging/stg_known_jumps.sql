-- Year-on-year jumps the sources really print (feed, province, data year, column), each with why: the marts
-- note them beside the figures they touch.
select
    feed,
    province,
    series,
    data_year,
    column_name,
    previous_value,
    value,
    why
from {{ source('landing', 'known_jumps') }}
