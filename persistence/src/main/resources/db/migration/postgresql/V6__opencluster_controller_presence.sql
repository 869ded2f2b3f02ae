-- Which controllers are members of a formed cluster, as each last recorded it
-- (controller-cluster cluster/ClusterFormation). The first seed node forms a
-- new cluster only when no seed node answered it and no other controller
-- recorded its presence recently: a controller restarted while its peers are
-- too busy to answer must join them, never form a cluster of its own.
-- Not secret: the names, cluster addresses and versions are in every
-- controller's configuration. seen_at is the database's clock, so the
-- controllers' clocks need not agree. A controller deletes its row when it
-- leaves; a killed one's row ages out.
CREATE TABLE oc_controller_presence (
  name VARCHAR(255) PRIMARY KEY,
  address VARCHAR(512) NOT NULL,
  app_version VARCHAR(255) NOT NULL,
  seen_at TIMESTAMP WITH TIME ZONE NOT NULL
);
