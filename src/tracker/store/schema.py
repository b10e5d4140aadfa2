"""The database schema, as numbered migrations applied in order on open.

All timestamps are UTC, stored as TIMESTAMP without a zone.
"""

from __future__ import annotations

from tracker.errors import StorageError
from tracker.store import engine

MIGRATIONS: tuple[str, ...] = (
    # 1: the first schema.
    """
    CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL);
    CREATE SEQUENCE run_id_seq;
    CREATE SEQUENCE fetch_id_seq;
    CREATE SEQUENCE change_id_seq;

    CREATE TABLE profiles (
        id            VARCHAR PRIMARY KEY,
        url           VARCHAR NOT NULL,
        source        VARCHAR NOT NULL,
        name          VARCHAR,
        affiliation   VARCHAR,
        person        VARCHAR,
        active        BOOLEAN NOT NULL DEFAULT TRUE,
        added_at      TIMESTAMP NOT NULL,
        etag          VARCHAR,
        last_modified VARCHAR,
        content_sha256 VARCHAR
    );

    -- One sync run over some profiles.
    CREATE TABLE runs (
        id          BIGINT PRIMARY KEY,
        started_at  TIMESTAMP NOT NULL,
        finished_at TIMESTAMP,
        status      VARCHAR NOT NULL  -- running | ok | partial | failed
    );

    -- One attempt to fetch one profile in one run, whatever came of it.
    CREATE TABLE fetches (
        id             BIGINT PRIMARY KEY,
        run_id         BIGINT NOT NULL,
        profile_id     VARCHAR NOT NULL,
        fetched_at     TIMESTAMP NOT NULL,
        status         VARCHAR NOT NULL,
            -- baseline | changed | unchanged | not_modified | failed | blocked | layout_changed
        http_status    INTEGER,
        content_sha256 VARCHAR,
        content_type   VARCHAR,
        reason         VARCHAR
    );

    -- A metric's value, written only when it differs from the previous observation.
    CREATE TABLE metric_observations (
        profile_id  VARCHAR NOT NULL,
        metric      VARCHAR NOT NULL,
        observed_at TIMESTAMP NOT NULL,
        value       DOUBLE NOT NULL,
        fetch_id    BIGINT NOT NULL,
        PRIMARY KEY (profile_id, metric, observed_at)
    );

    -- The current state of every paper ever seen on a profile.
    CREATE TABLE papers (
        profile_id        VARCHAR NOT NULL,
        key               VARCHAR NOT NULL,
        title             VARCHAR NOT NULL,
        authors           VARCHAR[] NOT NULL,
        authors_truncated BOOLEAN NOT NULL,
        published         DATE,
        year              INTEGER,
        category          VARCHAR,
        venue             VARCHAR,
        has_code          BOOLEAN NOT NULL,
        code_url          VARCHAR,
        url               VARCHAR,
        arxiv_id          VARCHAR,
        doi               VARCHAR,
        abstract          VARCHAR,
        citations         INTEGER,
        first_seen        TIMESTAMP NOT NULL,
        removed_at        TIMESTAMP,
        PRIMARY KEY (profile_id, key)
    );

    CREATE TABLE changes (
        id          BIGINT PRIMARY KEY,
        run_id      BIGINT NOT NULL,
        fetch_id    BIGINT NOT NULL,
        profile_id  VARCHAR NOT NULL,
        detected_at TIMESTAMP NOT NULL,
        -- metric_changed | paper_added | paper_removed | paper_changed
        kind        VARCHAR NOT NULL,
        metric      VARCHAR,
        paper_key   VARCHAR,
        paper_title VARCHAR,
        old         JSON,
        new         JSON,
        fields      VARCHAR[]
    );

    -- Views for anyone who opens the file with a DuckDB client.
    CREATE VIEW metric_history AS
        SELECT profile_id, metric, observed_at, value,
               value - lag(value) OVER (PARTITION BY profile_id, metric ORDER BY observed_at)
                   AS delta
        FROM metric_observations;

    CREATE VIEW latest_metrics AS
        SELECT profile_id, metric, arg_max(value, observed_at) AS value,
               max(observed_at) AS observed_at
        FROM metric_observations GROUP BY profile_id, metric;

    CREATE VIEW paper_timeline AS
        SELECT p.profile_id, p.key, p.title, p.published, p.category, p.first_seen,
               p.removed_at, p.removed_at IS NULL AS present,
               (SELECT max(f.fetched_at) FROM fetches f
                 WHERE f.profile_id = p.profile_id
                   AND f.status IN ('baseline', 'changed', 'unchanged', 'not_modified')
                   AND (p.removed_at IS NULL OR f.fetched_at < p.removed_at)) AS last_seen
        FROM papers p;

    CREATE VIEW change_log AS
        SELECT c.detected_at, c.profile_id, pr.name AS profile_name, c.kind, c.metric,
               c.paper_key, c.paper_title, c.old, c.new, c.run_id
        FROM changes c LEFT JOIN profiles pr ON pr.id = c.profile_id;
    """,
    # 2: alerts: channels, the events syncs raise, the outbox that delivers them, and
    # each profile's "needs attention" streaks.
    """
    CREATE SEQUENCE alert_channel_id_seq;

    -- Where alerts go: one apprise URL each (its secrets included: never printed).
    CREATE TABLE alert_channels (
        id         BIGINT PRIMARY KEY,
        url        VARCHAR NOT NULL UNIQUE,
        profiles   VARCHAR[] NOT NULL,  -- empty: every profile
        topics     VARCHAR[] NOT NULL,  -- new_paper | metric_changed | sync_failed
        digest     VARCHAR,             -- NULL (one message per event) | daily | weekly
        created_at TIMESTAMP NOT NULL
    );

    -- Every alert event a sync raised, with the id receivers de-duplicate on.
    CREATE TABLE alert_events (
        id          VARCHAR PRIMARY KEY,  -- a hash of profile, kind and what changed
        profile_id  VARCHAR NOT NULL,
        kind        VARCHAR NOT NULL,  -- new_paper | metric_changed | needs_attention | recovered
        occurred_at TIMESTAMP NOT NULL,
        run_id      BIGINT,
        payload     JSON NOT NULL         -- the AlertEvent
    );

    -- One row per event and channel: written with the event, then claimed, sent or retried.
    CREATE TABLE alert_outbox (
        channel_id      BIGINT NOT NULL,
        event_id        VARCHAR NOT NULL,
        status          VARCHAR NOT NULL,  -- pending | sending | sent | failed | gave_up
        attempts        INTEGER NOT NULL,
        next_attempt_at TIMESTAMP NOT NULL,
        period_end      TIMESTAMP,         -- a digest channel's period this event belongs to
        claim           VARCHAR,           -- which delivery holds a 'sending' row
        claimed_at      TIMESTAMP,
        last_error      VARCHAR,           -- scrubbed of the channel's secrets
        created_at      TIMESTAMP NOT NULL,
        sent_at         TIMESTAMP,
        PRIMARY KEY (channel_id, event_id)
    );

    -- A profile's failure streaks that raised "needs attention"; open until it recovers.
    CREATE TABLE alert_attention (
        event_id        VARCHAR PRIMARY KEY,  -- the needs_attention event
        profile_id      VARCHAR NOT NULL,
        start_fetch_id  BIGINT NOT NULL,      -- the first failed fetch of the streak
        since           TIMESTAMP NOT NULL,
        recovered_at    TIMESTAMP
    );
    """,
    # 3: citations per year (Scholar, OpenAlex), a year's count written only when it changes.
    """
    CREATE TABLE citations_per_year (
        profile_id  VARCHAR NOT NULL,
        year        INTEGER NOT NULL,
        citations   INTEGER NOT NULL,
        observed_at TIMESTAMP NOT NULL,
        PRIMARY KEY (profile_id, year, observed_at)
    );
    """,
    # 4: shared storage (tracker.shared): a worker's runs exported as Parquet, and on the
    # hub the exports it merged.
    """
    CREATE TABLE shared_exports (
        run_id      BIGINT PRIMARY KEY,
        name        VARCHAR NOT NULL,   -- the export's folder under <shared>/runs
        exported_at TIMESTAMP NOT NULL
    );

    CREATE TABLE shared_merges (
        name      VARCHAR PRIMARY KEY,  -- the export's folder under <shared>/runs
        run_id    BIGINT NOT NULL,      -- the run's id in this database
        merged_at TIMESTAMP NOT NULL
    );
    """,
)

SCHEMA_VERSION = len(MIGRATIONS)


def schema_version(con: engine.Connection) -> int:
    """The version the database is at; 0 for a new file.

    Asked of `meta` directly: a first query of `information_schema` costs ~10 ms, a
    noticeable part of the start of `tracker history`. Call it outside a transaction, which
    the error of a new file would abort.
    """
    try:
        row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    except engine.CatalogException:  # no `meta` table yet
        return 0
    return int(row[0]) if row else 0


def migrate(con: engine.Connection) -> int:
    """Bring the schema up to date, each migration in its own transaction; returns the version."""
    version = schema_version(con)
    if version > SCHEMA_VERSION:
        raise StorageError(
            f"the database is at schema version {version}, newer than this tracker's "
            f"{SCHEMA_VERSION}",
            hint="upgrade tracker",
        )
    for number in range(version + 1, SCHEMA_VERSION + 1):
        con.begin()
        try:
            con.execute(MIGRATIONS[number - 1])
            con.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(number)])
            con.commit()
        except BaseException:
            con.rollback()
            raise
    return SCHEMA_VERSION
