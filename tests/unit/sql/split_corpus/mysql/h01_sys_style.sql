-- Hand-written in the style of a diagnostics schema's routines (DEFINER,
-- COMMENT text holding ';' and END, cursor loops, dynamic SQL), not copied.
CREATE TABLE cfg (variable VARCHAR(64) PRIMARY KEY, value VARCHAR(128), set_by VARCHAR(128))@@@
CREATE DEFINER='root'@'localhost' FUNCTION cfg_value (in_name VARCHAR(64), in_default VARCHAR(128))
    RETURNS VARCHAR(128)
    COMMENT '
             Returns a setting; END; BEGIN and IF() here are text.
             Example: SELECT cfg_value(''a'', NULL);
            '
    SQL SECURITY INVOKER
    NOT DETERMINISTIC
    READS SQL DATA
BEGIN
    DECLARE v_value VARCHAR(128) DEFAULT NULL;
    DECLARE CONTINUE HANDLER FOR NOT FOUND SET v_value = in_default;
    SET v_value = (SELECT value FROM cfg WHERE variable = in_name);
    RETURN IFNULL(v_value, in_default);
END@@@
CREATE DEFINER='root'@'localhost' PROCEDURE cfg_each (IN in_prefix VARCHAR(64))
    COMMENT 'Loops over the settings; prints each (END LOOP).'
    SQL SECURITY INVOKER
    MODIFIES SQL DATA
BEGIN
    DECLARE v_done BOOLEAN DEFAULT FALSE;
    DECLARE v_name VARCHAR(64);
    DECLARE c CURSOR FOR SELECT variable FROM cfg WHERE variable LIKE CONCAT(in_prefix, '%') ORDER BY variable;
    DECLARE CONTINUE HANDLER FOR NOT FOUND SET v_done = TRUE;
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        GET DIAGNOSTICS CONDITION 1 @msg = MESSAGE_TEXT;
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'cfg_each failed';
    END;
    OPEN c;
    c_loop: LOOP
        FETCH c INTO v_name;
        IF v_done THEN
            LEAVE c_loop;
        ELSEIF v_name = 'skip' THEN
            ITERATE c_loop;
        END IF;
        SET @sql = CONCAT('UPDATE cfg SET set_by = ', QUOTE(CURRENT_USER()), ' WHERE variable = ', QUOTE(v_name));
        PREPARE stmt FROM @sql;
        EXECUTE stmt;
        DEALLOCATE PREPARE stmt;
        CASE
            WHEN v_name LIKE 'x%' THEN SELECT CONCAT('x: ', v_name) AS line;
            ELSE BEGIN END;
        END CASE;
    END LOOP;
    CLOSE c;
END@@@
SELECT cfg_value('a', 'b')@@@
