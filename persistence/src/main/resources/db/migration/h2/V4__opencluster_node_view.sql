-- The nodes' read model (controller-cluster: view/NodeViewProjection), kept by
-- a projection of the node entities' tagged events, read by GET /v1/nodes.
-- Plain text and no secret: ids, names, labels, stages, instants. Never a
-- certificate, key, session or generated secret (those stay in the encrypted
-- journal). Rebuilt from the journal by POST /v1/sys/read-model/rebuild.
CREATE TABLE node_view (
  id VARCHAR(63) NOT NULL PRIMARY KEY,
  name VARCHAR(63) NOT NULL,
  -- The labels as a JSON object, keys sorted (node_view_label is for search).
  labels VARCHAR(8192) NOT NULL,
  -- registered, active, quarantined, expired, retired
  stage VARCHAR(16) NOT NULL,
  quarantine_reason VARCHAR(32),
  registered_at BIGINT NOT NULL,
  lifetime_ends_at BIGINT NOT NULL,
  -- notAfter of the registered node certificate; NULL when none was registered.
  certificate_not_after BIGINT,
  -- Start of the last heartbeat bucket journaled (node.heartbeat-bucket).
  heartbeat_bucket BIGINT,
  -- Write time of the last event applied (epoch milliseconds).
  updated_at BIGINT NOT NULL
);
CREATE INDEX node_view_stage_idx ON node_view (stage, id);
CREATE INDEX node_view_name_idx ON node_view (name);

CREATE TABLE node_view_label (
  node_id VARCHAR(63) NOT NULL,
  label_key VARCHAR(63) NOT NULL,
  label_value VARCHAR(63) NOT NULL,
  PRIMARY KEY (node_id, label_key)
);
CREATE INDEX node_view_label_match_idx ON node_view_label (label_key, label_value, node_id);

-- pekko-projection-jdbc 1.0.0: the offsets (written in the same transaction as
-- the view's rows: exactly once) and the pause flag of each projection, as its
-- h2-dialect names them (lower case).
CREATE TABLE pekko_projection_offset_store (
  projection_name VARCHAR(255) NOT NULL,
  projection_key VARCHAR(255) NOT NULL,
  current_offset VARCHAR(255) NOT NULL,
  manifest VARCHAR(4) NOT NULL,
  mergeable BOOLEAN NOT NULL,
  last_updated BIGINT NOT NULL,
  PRIMARY KEY (projection_name, projection_key)
);
CREATE INDEX projection_name_index ON pekko_projection_offset_store (projection_name);

CREATE TABLE pekko_projection_management (
  projection_name VARCHAR(255) NOT NULL,
  projection_key VARCHAR(255) NOT NULL,
  paused BOOLEAN NOT NULL,
  last_updated BIGINT NOT NULL,
  PRIMARY KEY (projection_name, projection_key)
);
