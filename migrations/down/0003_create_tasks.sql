DROP INDEX tasks_board_idx;
DROP TABLE tasks;
