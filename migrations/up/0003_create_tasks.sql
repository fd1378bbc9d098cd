CREATE TABLE tasks (
    id          INTEGER PRIMARY KEY,
    project_id  INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    title       TEXT NOT NULL,
    done        INTEGER NOT NULL DEFAULT 0,
    due_on      TEXT
);
-- The board lists a project's open tasks by due date.
CREATE INDEX tasks_board_idx ON tasks (project_id, done, due_on);
