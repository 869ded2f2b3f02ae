-- Small values only the unsealed cluster can read or forge: each record is
-- AES-256-GCM under a data key, bound to its kind and name (see SealedValues).
-- Examples: the controllers approved to receive the cluster key from a peer.
CREATE TABLE oc_sealed_value (
  kind VARCHAR(64) NOT NULL,
  name VARCHAR(255) NOT NULL,
  record BYTEA NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (kind, name)
);
