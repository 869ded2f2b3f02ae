-- The audit log (controller-cluster audit/AuditLog): operator commands and
-- security events, one hash chain for the whole cluster. Every record is
-- AES-256-GCM under a data key, its associated data binding the label
-- "opencluster/audit/v1", its sequence number and the chain hash of the record
-- before it; nothing here is readable or forgeable without the data keys.

-- One row per record. seq is the record's place in the chain (1, 2, ...);
-- record = version (1) || seq (8) || previous chain hash (32) || data key
-- ring record. Rows are only ever inserted.
CREATE TABLE oc_audit_record (
  seq BIGINT PRIMARY KEY,
  record VARBINARY(1048576) NOT NULL
);

-- The newest record: an appender locks this row (SELECT ... FOR UPDATE), so
-- appends from every controller form one chain. head is the sequence number
-- and chain hash of the newest record, sealed under a data key; NULL before
-- the first record.
CREATE TABLE oc_audit_head (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  head VARBINARY(1048576)
);
INSERT INTO oc_audit_head (id, head) VALUES (1, NULL);
