-- The seal and the data keys. Nothing here opens anything without the
-- key-encryption key, which is never stored.

-- How the key-encryption key was split, and a value only that key decrypts.
CREATE TABLE oc_seal (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  shares INTEGER NOT NULL,
  threshold INTEGER NOT NULL,
  key_check VARBINARY(512) NOT NULL,
  created_at BIGINT NOT NULL
);

-- Data keys, each AES-256-GCM wrapped under the key-encryption key and bound
-- to its id.
CREATE TABLE oc_data_key (
  key_id INTEGER PRIMARY KEY,
  wrapped_key VARBINARY(512) NOT NULL,
  created_at BIGINT NOT NULL
);
