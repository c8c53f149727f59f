-- Several sites on one database (issue 18, dialer.sites). A site is a named call centre with its own
-- Asterisk servers and engine processes (DIALER_SITE names the site an engine works for). Campaigns,
-- inbound queues and users carry their site; everything that existed before is in the default site 1.
CREATE TABLE sites (
    id         bigserial PRIMARY KEY,
    name       text NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9_.-]{1,40}$'),
    zone       text NOT NULL DEFAULT '',          -- the site's IANA time zone, '' = the server's
    created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO sites (id, name) VALUES (1, 'main');
SELECT setval(pg_get_serial_sequence('sites', 'id'), 1);

ALTER TABLE campaigns ADD COLUMN site_id bigint NOT NULL DEFAULT 1 REFERENCES sites(id);
ALTER TABLE inbound_queues ADD COLUMN site_id bigint NOT NULL DEFAULT 1 REFERENCES sites(id);
CREATE INDEX campaigns_site ON campaigns (site_id);
CREATE INDEX inbound_queues_site ON inbound_queues (site_id);

-- A user's site: agents and team leads work at one; NULL = every site (admins, managers, compliance).
ALTER TABLE users ADD COLUMN site_id bigint REFERENCES sites(id) DEFAULT 1;
UPDATE users SET site_id = NULL WHERE role IN ('admin', 'compliance');

-- Managers see every site (dialer.users.Role.MANAGER).
ALTER TABLE users DROP CONSTRAINT IF EXISTS users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
    CHECK (role IN ('admin', 'team_lead', 'agent', 'compliance', 'manager'));

-- Each engine's word on its site, written every few seconds (dialer.sites.SiteReporter): whether its PBX
-- is reachable. A site whose engines all stopped writing, or all say their PBX is down, is down.
CREATE TABLE site_engines (
    site_id   bigint NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    engine_id text NOT NULL,
    pbx_up    boolean NOT NULL,
    detail    text NOT NULL DEFAULT '',
    seen_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (site_id, engine_id)
);
