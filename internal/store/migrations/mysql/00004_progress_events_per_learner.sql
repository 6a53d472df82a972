-- +goose Up
-- Event ids are deduplicated per learner, not across all learners (a
-- learner reusing another's id had their event dropped), and kept as the
-- UUID's 16 bytes. This is the expand step, one ALTER so that it applies
-- whole or not at all (MySQL commits DDL on its own):
--   event_key                     the id's 16 bytes; NULL in rows written
--                                 before it, filled by 00005
--   uq_progress_events_user_key   the id is unique per learner
--   uq_progress_events_user_event replaces the id's global uniqueness, so
--                                 instances still running the previous
--                                 code (writing event_id only) keep
--                                 deduplicating during a rolling upgrade
-- The code writes both columns and finds stored events by event_key, and
-- by event_id only for rows without one.
--
-- Contract, in a later release once no instance runs code older than this
-- migration: fill event_key where it is still NULL (rows written by older
-- instances after 00005 ran), make it NOT NULL, drop
-- uq_progress_events_user_event and event_id, and stop writing and
-- looking up event_id.
ALTER TABLE progress_events
  ADD COLUMN event_key BINARY(16) NULL AFTER event_id,
  DROP INDEX uq_progress_events_event,
  ADD UNIQUE KEY uq_progress_events_user_event (user_id, event_id),
  ADD UNIQUE KEY uq_progress_events_user_key (user_id, event_key);

-- +goose Down
-- Fails if two learners now share an event id, which the old global
-- uniqueness cannot hold.
ALTER TABLE progress_events
  DROP INDEX uq_progress_events_user_key,
  ADD UNIQUE KEY uq_progress_events_event (event_id),
  DROP INDEX uq_progress_events_user_event,
  DROP COLUMN event_key;
