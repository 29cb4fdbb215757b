-- Every landed document version, and the one version of each document the marts use. A document
-- (feed, edition, data year, table) gets a new version when a changed copy is fetched or dropped in;
-- the `vintage` var picks the first copy received (earliest) or the newest (latest).
select
    document_sha256,
    document_key,
    feed,
    publication_code,
    publication,
    publication_year,
    data_year,
    archive,
    copied_from,
    official_url,
    received_at,
    refused_reason,
    row_number() over (partition by document_key order by received_at, document_sha256) as version_number,
    count(*) over (partition by document_key) as versions_count,
    row_number() over (partition by document_key order by {{ version_order() }}) = 1 as is_selected_version
from {{ source('landing', 'documents') }}
