-- Name search without the import paying for it (replaces 0110's expression indexes, measured at 12-25 us a
-- row of PostgreSQL CPU on imports: normalize and regexp_replace are slow in SQL). The words of a lead's names,
-- folded (lower case, accents dropped, đ as d), are stored in name_words: the import computes them in its
-- worker processes (campaigns.imports.staging_line, campaigns.lead_search.name_words_text); any other insert,
-- and every change of a name, gets them from this trigger (lead_name_words, migration 0110, the same rule).
DROP INDEX IF EXISTS leads_name_words;
DROP INDEX IF EXISTS leads_list;   -- list operations and the list filter read a list's leads fast enough without it

ALTER TABLE leads ADD COLUMN IF NOT EXISTS name_words tsvector;
UPDATE leads SET name_words = lead_name_words(first_name, last_name) WHERE name_words IS NULL;

CREATE OR REPLACE FUNCTION leads_name_words_fill() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' OR NEW.name_words IS NULL THEN
        NEW.name_words := lead_name_words(NEW.first_name, NEW.last_name);
    END IF;
    RETURN NEW;
END $$;
DROP TRIGGER IF EXISTS leads_name_words_fill ON leads;
CREATE TRIGGER leads_name_words_fill BEFORE INSERT OR UPDATE OF first_name, last_name ON leads
    FOR EACH ROW EXECUTE FUNCTION leads_name_words_fill();

CREATE INDEX IF NOT EXISTS leads_name_words ON leads USING gin (name_words);
