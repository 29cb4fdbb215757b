"""The dbt project, alone in its module so `dagster-dbt project prepare-and-package` can import it."""

from dagster_dbt import DbtProject

from warehouse import paths

dbt_project = DbtProject(project_dir=paths.DBT_PROJECT_DIR, profiles_dir=paths.DBT_PROJECT_DIR)
# Under `dagster dev` the manifest is rebuilt on start; elsewhere `make` runs `dbt parse` first.
dbt_project.prepare_if_dev()
