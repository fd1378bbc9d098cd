CREATE VIEW open_tasks AS
SELECT t.id, t.title, t.due_on, p.name AS project, u.display_name AS owner
  FROM tasks t
  JOIN projects p ON p.id = t.project_id
  JOIN users u ON u.id = p.owner_id
 WHERE t.done = 0 AND p.archived = 0;
