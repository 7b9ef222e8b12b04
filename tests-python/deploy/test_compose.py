"""docker-compose.yml validates with Debian's docker-compose 1.29 (no container engine needed)."""
import subprocess

import yaml

from deploy_support import require_tool

COMPOSE = ["docker-compose", "-f", "docker-compose.yml"]
SERVICES = ["kafka", "kafka-init", "postgres", "migrate", "worker-blue", "worker-green", "prometheus", "grafana",
            "loadgen"]


def compose(*args: str) -> str:
    result = subprocess.run([*COMPOSE, *args], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"docker-compose {' '.join(args)} failed:\n{result.stdout}{result.stderr}"
    return result.stdout


def test_compose_config_with_and_without_the_loadgen_profile():
    require_tool("docker-compose")
    compose("config", "-q")
    compose("--profile", "loadgen", "config", "-q")


def test_compose_services_loadgen_profile_and_database_url_through_a_secret_file():
    require_tool("docker-compose")
    services = compose("--profile", "loadgen", "config", "--services").split()
    missing = [name for name in SERVICES if name not in services]
    assert not missing, f"services missing: {missing}"
    # loadgen only under its profile (config --services of compose 1.29 lists every profile).
    rendered = yaml.safe_load(compose("--profile", "loadgen", "config"))["services"]
    with_profiles = sorted(name for name, service in rendered.items() if service.get("profiles"))
    assert with_profiles == ["loadgen"] and rendered["loadgen"]["profiles"] == ["loadgen"], \
        "loadgen (and only loadgen) must be under profiles: [loadgen]"
    # The _FILE pattern: the workers get the database URL from a compose secret.
    assert "ORDERSTREAM_DATABASE_URL_FILE: /run/secrets/orderstream_database_url" in compose("config"), \
        "the workers do not read ORDERSTREAM_DATABASE_URL_FILE from a secret"
