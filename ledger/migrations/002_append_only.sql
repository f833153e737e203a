-- Append-only, enforced by the database itself: REVOKE does not bind the table's owner, and the
-- application may well be the owner. These triggers refuse every UPDATE, DELETE and TRUNCATE, whoever
-- sends it. A superuser (or the owner) can still disable or drop them; verify catches what they then
-- change (docs/ledger.md).
CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the zero-touch ledger is append-only: % on %.% refused', TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege',
          HINT = 'ledger rows are never changed or removed; append a new row instead (docs/ledger.md)';
END
$$;

-- Statement level, so even a statement that matches no row is refused: nobody learns to rely on it.
CREATE TRIGGER ledger_entries_no_update_delete
  BEFORE UPDATE OR DELETE ON ledger_entries
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();

CREATE TRIGGER ledger_entries_no_truncate
  BEFORE TRUNCATE ON ledger_entries
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
