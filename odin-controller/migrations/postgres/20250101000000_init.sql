-- The controller's state (see odin-controller/src/store). Every write is an
-- upsert or an append the schema cannot refuse for its content: no foreign
-- keys, and the one unique constraint besides the keys (a BSSID belongs to
-- one client) is kept by the writer, which takes the BSSID from the other
-- row first. Times are microseconds since the Unix epoch; MAC addresses are
-- text (aa:bb:cc:dd:ee:ff); JSON is text.

CREATE TABLE agents (
    name TEXT NOT NULL PRIMARY KEY,
    software TEXT NOT NULL,
    up BOOLEAN NOT NULL,
    at_us BIGINT NOT NULL
);

CREATE TABLE radios (
    agent TEXT NOT NULL,
    idx BIGINT NOT NULL,
    info TEXT NOT NULL,
    PRIMARY KEY (agent, idx)
);

CREATE TABLE clients (
    mac TEXT NOT NULL PRIMARY KEY,
    bssid TEXT,
    station TEXT,
    at_us BIGINT NOT NULL
);
CREATE UNIQUE INDEX clients_bssid ON clients (bssid) WHERE bssid IS NOT NULL;

CREATE TABLE lvaps (
    client TEXT NOT NULL PRIMARY KEY,
    bssid TEXT NOT NULL,
    agent TEXT NOT NULL,
    radio BIGINT NOT NULL,
    at_us BIGINT NOT NULL
);
CREATE INDEX lvaps_agent ON lvaps (agent, radio);

CREATE TABLE apps (
    name TEXT NOT NULL PRIMARY KEY,
    enabled BOOLEAN NOT NULL,
    config TEXT NOT NULL,
    at_us BIGINT NOT NULL
);

-- BIGSERIAL: ids only grow, never reused, so "id < before_id" pages.
CREATE TABLE events (
    id BIGSERIAL PRIMARY KEY,
    at_us BIGINT NOT NULL,
    kind TEXT NOT NULL,
    client TEXT,
    agent TEXT,
    app TEXT,
    detail TEXT NOT NULL
);
-- Newest first within each filter: (column, id) serves "column = ? AND
-- id < ? ORDER BY id DESC"; the primary key serves the unfiltered log.
CREATE INDEX events_at ON events (at_us, id);
CREATE INDEX events_client ON events (client, id);
CREATE INDEX events_agent ON events (agent, id);
CREATE INDEX events_kind ON events (kind, id);
CREATE INDEX events_app ON events (app, id);
