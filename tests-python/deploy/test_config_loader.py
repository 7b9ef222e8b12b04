"""config/development.yaml, config/production.yaml and the ConfigMap load with the worker's own loader.

The loader must get past the configuration: `migrate` against port 1 fails with a connection error,
never a configuration error. Every command runs in an empty folder (so no config/orderstream.yaml is
picked up by accident) and without any ORDERSTREAM_* variable of the caller. A secret given through
*_FILE is used and never printed, and the production Kafka properties are accepted by librdkafka.
"""
import re
import subprocess

import pytest
import yaml

from deploy_support import ROOT, clean_env

UNREACHABLE_URL = "postgresql://x@127.0.0.1:1/x"
CONNECTION_ERROR = re.compile(r"connectionFailed|connection to server")


@pytest.fixture
def run(orderstream_bin, tmp_path):
    def run(*args, **env):
        return subprocess.run([str(orderstream_bin), *args], cwd=tmp_path, env=clean_env(**env),
                              stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    return run


def configmap_file(tmp_path):
    path = tmp_path / "configmap-orderstream.yaml"
    path.write_text(yaml.safe_load(open("deploy/kubernetes/configmap.yaml"))["data"]["orderstream.yaml"])
    return path


@pytest.mark.parametrize("which", ["config/development.yaml", "config/production.yaml", "configmap"])
def test_config_file_loads_migrate_fails_with_a_connection_error(which, run, tmp_path):
    path = configmap_file(tmp_path) if which == "configmap" else ROOT / which
    result = run("migrate", "--config", str(path), ORDERSTREAM_DATABASE_URL=UNREACHABLE_URL)
    output = result.stdout + result.stderr
    assert result.returncode != 0, f"migrate succeeded against port 1?\n{output}"
    assert CONNECTION_ERROR.search(output), f"expected a connection error, got (exit {result.returncode}):\n{output}"
    print(f"{which}: loads; migrate fails with: {output.splitlines()[0]}")


def test_control_an_unknown_key_is_a_configuration_error(run, tmp_path):
    (tmp_path / "typo.yaml").write_text("worker:\n  drain_deadline: 15\n")
    result = run("migrate", "--config", str(tmp_path / "typo.yaml"), ORDERSTREAM_DATABASE_URL=UNREACHABLE_URL)
    output = result.stdout + result.stderr
    assert "unknown key worker.drain_deadline" in output, f"expected an unknown-key error, got:\n{output}"


def test_database_url_file_is_used_and_its_password_never_printed(run, tmp_path):
    secret = tmp_path / "database-url"
    # A canary password, made up here so that the test can see it is never printed.
    secret.write_text("postgresql://orderstream:canary-db-secret-4711@127.0.0.1:1/orderstream\n")  # pragma: allowlist secret
    result = run("migrate", "--config", str(ROOT / "config/production.yaml"), ORDERSTREAM_DATABASE_URL_FILE=str(secret))
    output = result.stdout + result.stderr
    assert CONNECTION_ERROR.search(output), f"expected a connection error through the _FILE URL, got:\n{output}"
    assert '127.0.0.1", port 1' in output, f"the URL from ORDERSTREAM_DATABASE_URL_FILE was not used:\n{output}"
    assert "canary-db-secret-4711" not in output, "the database password appears in the output"


def test_production_kafka_properties_accepted_by_librdkafka_and_sasl_password_never_printed(run, tmp_path):
    # config/production.yaml's librdkafka properties (SASL_SSL, SCRAM, CA, ...) reach a real
    # librdkafka client; the CA file is overridden with the system bundle because the production
    # path does not exist here. The SASL password comes from a *_FILE.
    password = tmp_path / "kafka-password"
    password.write_text("canary-kafka-secret-0815\n")
    env = {"ORDERSTREAM_KAFKA_SASL_PASSWORD_FILE": str(password),
           "ORDERSTREAM_KAFKA_SSL_CA_LOCATION": "/etc/ssl/certs/ca-certificates.crt"}
    result = run("publish", "--config", str(ROOT / "config/production.yaml"), **env)
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"librdkafka refused the production properties:\n{output}"
    assert "canary-kafka-secret-0815" not in output, "the SASL password appears in the output"
    # And a wrong value is refused (the properties really are applied).
    result = run("publish", "--config", str(ROOT / "config/production.yaml"), **env,
                 ORDERSTREAM_KAFKA_SASL_MECHANISM="NOPE")
    output = result.stdout + result.stderr
    assert result.returncode != 0, "an unsupported sasl.mechanism was accepted: the properties are not applied"
    assert "NOPE" in output, f"unexpected error:\n{output}"
