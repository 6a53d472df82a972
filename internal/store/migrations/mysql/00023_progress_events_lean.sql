-- +goose Up
-- Every heartbeat inserts a row here, and each secondary index and foreign
-- key is work per row inside the one transaction all concurrent heartbeats
-- share. Nothing reads by lesson alone, and the (user_id, id) index serves
-- every per-learner read the (user_id, received_at) one did; the keys'
-- guarantees rest on the code that writes events, which resolves the
-- learner and the lesson first (and users and lessons are never deleted).
ALTER TABLE progress_events
  DROP FOREIGN KEY fk_progress_events_user,
  DROP FOREIGN KEY fk_progress_events_lesson;
ALTER TABLE progress_events
  DROP INDEX fk_progress_events_lesson,
  DROP INDEX idx_progress_events_user;

-- +goose Down
ALTER TABLE progress_events
  ADD KEY idx_progress_events_user (user_id, received_at),
  ADD KEY fk_progress_events_lesson (lesson_id);
ALTER TABLE progress_events
  ADD CONSTRAINT fk_progress_events_user FOREIGN KEY (user_id) REFERENCES users (id),
  ADD CONSTRAINT fk_progress_events_lesson FOREIGN KEY (lesson_id) REFERENCES lessons (id);
