-- SMS message templates (sms.templates, sms.template_repository): Jinja2 text checked at save, sent
-- without diacritics when "plain". campaign_id NULL: the template may be used in every campaign.
CREATE TABLE sms_templates (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    body        text NOT NULL CHECK (length(body) BETWEEN 1 AND 2000),
    plain       boolean NOT NULL DEFAULT false,
    campaign_id bigint REFERENCES campaigns(id) ON DELETE CASCADE,
    created_by  bigint REFERENCES users(id) ON DELETE SET NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
-- one name per campaign, and one among the templates for every campaign
CREATE UNIQUE INDEX sms_templates_name ON sms_templates (coalesce(campaign_id, 0), lower(name));
