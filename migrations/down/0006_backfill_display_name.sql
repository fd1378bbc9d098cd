UPDATE users SET display_name = NULL;
