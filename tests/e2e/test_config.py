"""Where the database URL and settings come from, and that secrets never show."""
import json

import pytest

from conftest import applied_ids, three


def decoy(project, name):
    """A SQLite URL the runner must NOT use; the test checks its file never appears."""
    path = project.root.parent / f"{name}.db"
    return path, f"sqlite:{path}"


def assert_used(db, project, *decoys):
    assert applied_ids(db) == ["0001", "0002", "0003"]
    for path in decoys:
        assert not path.exists(), f"{path} was used"
    assert not (project.root / "runner.db").exists()


def test_runner_database_url_beats_database_url_and_runner_toml(project, db):
    three(project)
    dbu_path, dbu = decoy(project, "database_url")
    toml_path, toml = decoy(project, "toml")
    project.write("runner.toml", f'database = "{toml}"\n')
    result = project.run("up", database=False, env={"RUNNER_DATABASE_URL": db.url, "DATABASE_URL": dbu})
    assert result.code == 0, result
    assert_used(db, project, dbu_path, toml_path)


def test_database_url_beats_runner_toml(project, db):
    three(project)
    toml_path, toml = decoy(project, "toml")
    project.write("runner.toml", f'database = "{toml}"\n')
    result = project.run("up", database=False, env={"DATABASE_URL": db.url})
    assert result.code == 0, result
    assert_used(db, project, toml_path)


def test_runner_toml_beats_the_default(project, db):
    three(project)
    project.write("runner.toml", f'database = "{db.url}"\n')
    result = project.run("up", database=False)
    assert result.code == 0, result
    assert_used(db, project)


def test_dash_d_beats_everything(project, db):
    three(project)
    r_path, r_url = decoy(project, "runner_database_url")
    d_path, d_url = decoy(project, "database_url")
    t_path, t_url = decoy(project, "toml")
    project.write("runner.toml", f'database = "{t_url}"\n[env.staging]\ndatabase = "{t_url}"\n')
    result = project.run("-e", "staging", "up", env={"RUNNER_DATABASE_URL": r_url, "DATABASE_URL": d_url})
    assert result.code == 0, result
    assert_used(db, project, r_path, d_path, t_path)


def test_long_database_option_works_too(project, db):
    three(project)
    result = project.run("--database", db.url, "up", database=False)
    assert result.code == 0, result
    assert_used(db, project)


def test_env_table_is_chosen_with_dash_e(project, db):
    three(project)
    top_path, top = decoy(project, "top")
    project.write("runner.toml", f'database = "{top}"\n\n[env.staging]\ndatabase = "{db.url}"\n')
    result = project.run("-e", "staging", "up", database=False)
    assert result.code == 0, result
    assert_used(db, project, top_path)


def test_env_table_without_database_falls_back_to_the_top_level(project, db):
    three(project)
    project.write("runner.toml", f'database = "{db.url}"\n\n[env.staging]\ntable = "staging_history"\n')
    result = project.run("-e", "staging", "up", database=False)
    assert result.code == 0, result
    assert {"staging_history", "staging_history_log"} <= db.tables()
    assert "runner_history" not in db.tables()


def test_an_unknown_env_is_bad_input(project, db):
    three(project)
    project.write("runner.toml", f'database = "{db.url}"\n')
    result = project.run("-e", "production", "up", database=False)
    assert result.code == 2, result
    assert "production" in result.err
    assert db.tables() == set()


def test_an_empty_env_is_bad_input_not_the_top_level(project, db):
    """`runner -e "$DEPLOY_ENV" up` with the variable unset migrated the
    top level's database."""
    three(project)
    project.write("runner.toml", f'database = "{db.url}"\n\n[env.staging]\ndatabase = "{db.url}"\n')
    result = project.run("-e", "", "up", database=False)
    assert result.code == 2, result
    assert "--env: an empty name names no [env.NAME] table" in result.err
    assert db.tables() == set()


def test_variables_in_runner_toml_are_expanded(project, db):
    three(project)
    project.write("runner.toml", 'database = "${E2E_DB_URL}"\n')
    result = project.run("up", database=False, env={"E2E_DB_URL": db.url})
    assert result.code == 0, result
    assert_used(db, project)


def test_a_config_file_given_with_dash_c(project, db):
    three(project)
    project.write("conf/other.toml", f'database = "{db.url}"\ntable = "other_history"\n')
    result = project.run("-c", "conf/other.toml", "up", database=False)
    assert result.code == 0, result
    assert {"other_history", "other_history_log"} <= db.tables()


def test_a_missing_config_file_given_with_dash_c_is_bad_input(project, db):
    three(project)
    result = project.run("-c", "nope.toml", "up")
    assert result.code == 2, result
    assert "nope.toml" in result.err
    assert db.tables() == set()


def test_a_runner_toml_that_is_a_dangling_link_is_refused_not_passed_over(project, db):
    three(project)
    project.write("conf/real.toml", f'database = "{db.url}"\n')
    (project.root / "runner.toml").symlink_to("conf/gone.toml")
    said = "runner.toml: cannot read: a symbolic link to 'conf/gone.toml', which does not exist"
    # Passed over, its database would give way to the default sqlite:runner.db.
    for args in (["up"], ["-c", "runner.toml", "up"], ["-m", "manifest.yaml", "up"]):
        result = project.run(*args, database=False)
        assert result.code == 2, result
        assert said in result.err, result
        assert not (project.root / "runner.db").exists()
    (project.root / "loop.toml").symlink_to("loop.toml")
    result = project.run("-c", "loop.toml", "up", database=False)
    assert result.code == 2, result
    assert "loop.toml: cannot read: a symbolic link in a loop: 'loop.toml' -> 'loop.toml'" in result.err
    assert db.tables() == set()
    # A link to a file is read as the file.
    (project.root / "runner.toml").unlink()
    (project.root / "runner.toml").symlink_to("conf/real.toml")
    result = project.run("up", database=False)
    assert result.code == 0, result
    assert applied_ids(db) == ["0001", "0002", "0003"]


def test_a_malformed_runner_toml_is_bad_input(project, db):
    three(project)
    project.write("runner.toml", 'database = "unterminated\n')
    result = project.run("up")
    assert result.code == 2, result
    assert "runner.toml" in result.err
    assert db.tables() == set()


@pytest.mark.parametrize("toml,command,said", [
    ('manifest = ""\n', "up", "runner.toml:1:12: error: 'manifest' is empty: give a path"),
    ('[env.ci]\nmanifest = ""\n', "-e ci up",
     "runner.toml:2:12: error: 'manifest' in [env.ci] is empty: give a path"),
    ('manifest = "${MANIFEST}"\n', "up",
     "runner.toml:1:12: error: 'manifest' is empty once its ${...} are expanded"),
    ('database = ""\n', "up", "runner.toml:1:12: error: 'database' is empty: give a database URL"),
    ('table = ""\n', "up", "runner.toml:1:9: error: 'table' is empty: give the history table's name"),
    ('templates = ""\n', "new more", "runner.toml:1:13: error: 'templates' is empty: give a path"),
    ('doc = ""\n', "up", "runner.toml:1:7: error: 'doc' is empty: give a path"),
    ('sources = ["src", ""]\n', "refs", "runner.toml:1:19: error: 'sources' is empty: give a path"),
], ids=["manifest", "env-manifest", "manifest-variable", "database", "table", "templates", "doc", "sources"])
def test_an_empty_path_in_runner_toml_is_refused_naming_the_file_and_key(project, db, toml, command, said):
    three(project)
    manifest = project.manifest_text()
    project.write("runner.toml", toml)
    # -d wins over runner.toml's database: there, the runner reads the others only.
    args = command.split() if toml.startswith("database") else ["-d", db.url] + command.split()
    result = project.run(*args, database=False, env={"MANIFEST": ""})
    assert result.code == 2, result
    assert said in result.err, result
    assert db.tables() == set()
    assert not (project.root / "runner.db").exists()
    assert project.manifest_text() == manifest
    assert sorted(p.name for p in (project.root / "migrations" / "up").iterdir()) == [
        "0001_create_users.sql", "0002_add_seed.sql", "0003_create_teams.sql"]


def test_table_option_renames_both_tables(project, db):
    three(project)
    result = project.run("--table", "custom", "up")
    assert result.code == 0, result
    tables = db.tables()
    assert {"custom", "custom_log"} <= tables
    assert "runner_history" not in tables and "runner_history_log" not in tables
    assert sorted(r[0] for r in db.query("SELECT id FROM custom")) == ["0001", "0002", "0003"]
    assert db.query("SELECT COUNT(*) FROM custom_log") == [(3,)]
    assert project.run("--table", "custom", "current").out.strip() == "0003"
    assert project.run("current").out.strip() == "none"


def test_runner_toml_table_and_manifest_keys(project, db):
    three(project)
    (project.root / "manifest.yaml").rename(project.root / "revisions.yaml")
    project.write("runner.toml", f'database = "{db.url}"\nmanifest = "revisions.yaml"\ntable = "t_hist"\n')
    result = project.run("up", database=False)
    assert result.code == 0, result
    assert {"t_hist", "t_hist_log", "users", "teams"} <= db.tables()


def test_manifest_option_points_at_another_project(project, db):
    three(project)
    elsewhere = project.root / "db"
    elsewhere.mkdir()
    for entry in ("manifest.yaml", "migrations"):
        (project.root / entry).rename(elsewhere / entry)
    result = project.run("-m", "db/manifest.yaml", "up")
    assert result.code == 0, result
    assert applied_ids(db) == ["0001", "0002", "0003"]


# --- secrets ---------------------------------------------------------------

SECRET = "s3cretpw"


def assert_hidden(result):
    assert result.code != 0, result
    assert SECRET not in result.out and SECRET not in result.err, result


def test_a_postgres_password_never_appears_in_output(project, db):
    three(project)
    url = f"postgres://u:{SECRET}@127.0.0.1:1/db"
    text = project.run("-d", url, "status", database=False)
    assert_hidden(text)
    assert "***" in text.err, text
    as_json = project.run("--json", "-d", url, "status", database=False)
    assert_hidden(as_json)
    assert "***" in json.loads(as_json.out)["error"]["message"], as_json
    up = project.run("-v", "-d", url, "up", database=False)
    assert_hidden(up)


def test_a_mysql_password_never_appears_in_output(project, db):
    three(project)
    url = f"mysql://root:{SECRET}@127.0.0.1:1/app"
    for args in (("status",), ("--json", "up"), ("-v", "wait", "--wait", "0")):
        result = project.run("-d", url, *args, database=False)
        assert_hidden(result)
        assert "***" in result.out + result.err, result


def test_a_password_from_the_environment_never_appears_in_output(project, db):
    three(project)
    url = f"postgresql://app:{SECRET}@127.0.0.1:1/app?sslmode=disable"
    result = project.run("--json", "status", database=False, env={"DATABASE_URL": url})
    assert_hidden(result)
    assert "***" in result.out, result


def test_a_password_from_runner_toml_never_appears_in_output(project, db):
    three(project)
    project.write("runner.toml", 'database = "postgres://app:${E2E_PW}@127.0.0.1:1/app"\n')
    result = project.run("-v", "up", database=False, env={"E2E_PW": SECRET})
    assert_hidden(result)
    assert "***" in result.err, result


def test_a_password_in_the_query_string_never_appears_in_output(project, db):
    three(project)
    url = f"postgres://u@127.0.0.1:1/db?sslmode=disable&password={SECRET}"
    for args in (("-v", "status"), ("--json", "up")):
        result = project.run("-d", url, *args, database=False)
        assert_hidden(result)
        assert "***" in result.out + result.err, result


def test_a_percent_encoded_password_never_appears_in_output(project, db):
    three(project)
    url = "postgres://u:s3cret%2Fpw%40x@127.0.0.1:1/db"
    result = project.run("-v", "-d", url, "up", database=False)
    assert result.code != 0, result
    for form in ("s3cret%2Fpw%40x", "s3cret/pw@x", "s3cret"):
        assert form not in result.out + result.err, result
    assert "***" in result.err, result


@pytest.mark.parametrize("variable", ["RUNNER_DATABASE_URL", "DATABASE_URL"])
def test_an_empty_database_url_variable_is_bad_input_not_the_default(project, db, variable):
    """compose's `DATABASE_URL: ${DATABASE_URL}` with the host's variable
    unset: up created and migrated runner.db beside the manifest, exit 0."""
    three(project)
    result = project.run("up", database=False, env={variable: ""})
    assert result.code == 2, result
    assert f"the environment variable {variable} is set but empty" in result.err
    assert "sqlite:runner.db" in result.err
    assert not (project.root / "runner.db").exists()
    # Nor runner.toml's database: the variable meant to win is empty.
    project.write("runner.toml", f'database = "{db.url}"\n')
    result = project.run("up", database=False, env={variable: ""})
    assert result.code == 2, result
    assert f"{variable} is set but empty" in result.err
    assert db.tables() == set()
    # What needs no database goes on (a lint gate where secrets are not
    # given): check says it checked the files only; new writes its files.
    result = project.run("check", database=False, env={variable: ""})
    assert result.code == 0, result
    assert f"checked the manifest and files only: the environment variable {variable} is set " \
           "but empty" in result.err, result
    result = project.run("new", "later", database=False, env={variable: ""})
    assert result.code == 0, result
    result = project.run("status", database=False, env={variable: ""})
    assert result.code == 2 and f"{variable} is set but empty" in result.err, result


def test_an_empty_runner_database_url_gives_way_to_database_url(project, db):
    three(project)
    result = project.run("up", database=False, env={"RUNNER_DATABASE_URL": "", "DATABASE_URL": db.url})
    assert result.code == 0, result
    assert_used(db, project)
