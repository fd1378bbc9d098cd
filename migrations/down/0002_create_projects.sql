DROP INDEX projects_owner_idx;
DROP TABLE projects;
