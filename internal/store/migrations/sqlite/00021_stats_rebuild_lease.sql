-- +goose Up
-- A running `xuetang stats rebuild` renews this every batch; while it is
-- recent the upkeep and the event pruning leave the statistics alone, so the
-- rebuild's cut of the raw tables stays the one the swapped-in tables count.
-- A rebuild that died stops renewing and its claim lapses.
ALTER TABLE stats_state ADD COLUMN rebuild_at DATETIME NULL;

-- +goose Down
ALTER TABLE stats_state DROP COLUMN rebuild_at;
