-- Schema snapshot for sqlite, written by `runner schema dump`: the schema after the last
-- revision. `runner check` compares the live database with it.

-- Name: users; Type: TABLE
CREATE TABLE users (
  id INTEGER,
  email TEXT NOT NULL,
  created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
  display_name TEXT,
  PRIMARY KEY (id)
);

-- Name: projects; Type: TABLE
CREATE TABLE projects (
  id INTEGER,
  owner_id INTEGER NOT NULL,
  name TEXT NOT NULL,
  archived INTEGER NOT NULL DEFAULT 0,
  FOREIGN KEY (owner_id) REFERENCES users (id) ON DELETE CASCADE,
  PRIMARY KEY (id)
);

-- Name: tasks; Type: TABLE
CREATE TABLE tasks (
  id INTEGER,
  project_id INTEGER NOT NULL,
  title TEXT NOT NULL,
  done INTEGER NOT NULL DEFAULT 0,
  due_on TEXT,
  FOREIGN KEY (project_id) REFERENCES projects (id) ON DELETE CASCADE,
  PRIMARY KEY (id)
);

-- Name: projects_owner_idx on projects; Type: INDEX
CREATE INDEX projects_owner_idx ON projects (owner_id);

-- Name: tasks_board_idx on tasks; Type: INDEX
CREATE INDEX tasks_board_idx ON tasks (project_id, done, due_on);

-- Name: users_email_key on users; Type: INDEX
CREATE UNIQUE INDEX users_email_key ON users (email);

-- Name: open_tasks; Type: VIEW
CREATE VIEW open_tasks AS
SELECT t.id, t.title, t.due_on, p.name AS project, u.display_name AS owner
  FROM tasks t
  JOIN projects p ON p.id = t.project_id
  JOIN users u ON u.id = p.owner_id
 WHERE t.done = 0 AND p.archived = 0;
