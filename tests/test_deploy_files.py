"""Static checks of the deployment files: Dockerfile, compose file, Slack and Teams app manifests."""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess
import zipfile
import zlib
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
TEAMS = DEPLOY / "teams"
PLACEHOLDER_ID = "00000000-0000-0000-0000-000000000000"

CONTRACT_ENV_VARS = (
    "CHAMPBOT_DATABASE_URL",
    "CHAMPBOT_HOST",
    "PORT",
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_APP_TOKEN",
    "SLACK_API_URL",
    "MicrosoftAppId",
    "MicrosoftAppPassword",
    "MicrosoftAppType",
    "MicrosoftAppTenantId",
    "CHAMPBOT_TEAMS_TENANTS",
    "CHAMPBOT_LLM_BASE_URL",
    "CHAMPBOT_LLM_API_KEY",
    "CHAMPBOT_LLM_MODEL",
    "CHAMPBOT_ADMINS",
    "CHAMPBOT_LOCALE",
    "CHAMPBOT_TIMEZONE",
    "CHAMPBOT_HOLIDAY_COUNTRY",
    "CHAMPBOT_CONTENT_DIR",
    "CHAMPBOT_TEST_POSTGRES_URL",
)


# ---------------------------------------------------------------- helpers


def _load_yaml(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _teams_manifest() -> dict[str, Any]:
    data = json.loads((TEAMS / "manifest.json").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _png_chunks(path: Path) -> list[tuple[bytes, bytes]]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    chunks: list[tuple[bytes, bytes]] = []
    pos = 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        tag = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(tag + body) & 0xFFFFFFFF, f"bad CRC in {tag!r} of {path.name}"
        chunks.append((tag, body))
        pos += 12 + length
    assert chunks[0][0] == b"IHDR" and chunks[-1][0] == b"IEND"
    return chunks


def _png_size(path: Path) -> tuple[int, int]:
    ihdr = _png_chunks(path)[0][1]
    width, height = struct.unpack(">II", ihdr[:8])
    return width, height


def _png_rgba_pixels(path: Path) -> list[tuple[int, int, int, int]]:
    """Decode an 8-bit, non-interlaced RGBA PNG (all five row filters)."""
    chunks = _png_chunks(path)
    width, height, depth, colour_type, _, _, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
    assert (depth, colour_type, interlace) == (8, 6, 0), "expected 8-bit RGBA, not interlaced"
    raw = zlib.decompress(b"".join(body for tag, body in chunks if tag == b"IDAT"))
    bpp, stride = 4, width * 4
    prev = bytearray(stride)
    pixels: list[tuple[int, int, int, int]] = []
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            up = prev[i]
            up_left = prev[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - up_left
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - up_left)
                pred = left if pa <= pb and pa <= pc else up if pb <= pc else up_left
                line[i] = (line[i] + pred) & 0xFF
        pixels.extend((line[i], line[i + 1], line[i + 2], line[i + 3]) for i in range(0, stride, bpp))
        prev = line
    return pixels


def _dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs of the Dockerfile, continuation lines joined."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    logical: list[str] = []
    current = ""
    for line in text.splitlines():
        stripped = line.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if stripped.startswith("#"):
            continue  # comment inside a continued instruction
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        logical.append(current + stripped)
        current = ""
    assert not current, "Dockerfile ends with a line continuation"
    result = []
    for line in logical:
        keyword, _, args = line.partition(" ")
        result.append((keyword.upper(), args.strip()))
    return result


def _final_stage() -> list[tuple[str, str]]:
    instructions = _dockerfile_instructions()
    last_from = max(i for i, (kw, _) in enumerate(instructions) if kw == "FROM")
    return instructions[last_from:]


# ---------------------------------------------------------------- Slack manifest


def test_slack_manifest_declares_champ_command_with_escaping() -> None:
    manifest = _load_yaml(DEPLOY / "slack" / "manifest.yml")
    assert manifest["_metadata"]["major_version"] == 1
    assert manifest["display_information"]["name"] == "champbot"
    assert len(manifest["display_information"]["description"]) <= 140
    commands = {c["command"]: c for c in manifest["features"]["slash_commands"]}
    champ = commands["/champ"]
    assert champ["should_escape"] is True
    assert champ["url"].endswith("/slack/events")
    assert champ["usage_hint"].startswith("help")
    bot_user = manifest["features"]["bot_user"]
    assert bot_user["display_name"] == "champbot"
    home = manifest["features"]["app_home"]
    assert home["messages_tab_enabled"] is True
    assert home["messages_tab_read_only_enabled"] is False


def test_slack_manifest_events_interactivity_and_scopes() -> None:
    manifest = _load_yaml(DEPLOY / "slack" / "manifest.yml")
    settings = manifest["settings"]
    events = settings["event_subscriptions"]
    assert events["request_url"].endswith("/slack/events")
    assert set(events["bot_events"]) >= {
        "app_home_opened",
        "app_mention",
        "member_joined_channel",
        "message.im",
        "team_join",
    }
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["interactivity"]["request_url"].endswith("/slack/events")
    assert settings["socket_mode_enabled"] is False
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    # DMs: open (im:write), post (chat:write) and look people up (users:read).
    assert scopes >= {"im:write", "chat:write", "users:read", "commands"}
    # Each subscribed event needs its scope.
    assert "app_mentions:read" in scopes  # app_mention
    assert "im:history" in scopes  # message.im
    assert scopes & {"channels:read", "groups:read"}  # member_joined_channel


# ---------------------------------------------------------------- Teams manifest


def test_teams_manifest_basics() -> None:
    manifest = _teams_manifest()
    assert manifest["manifestVersion"] == "1.17"
    assert "/teams/v1.17/" in manifest["$schema"]
    assert manifest["id"] == PLACEHOLDER_ID
    assert len(manifest["name"]["short"]) <= 30
    assert len(manifest["description"]["short"]) <= 80
    assert len(manifest["description"]["full"]) <= 4000
    assert len(manifest["developer"]["name"]) <= 32
    for key in ("websiteUrl", "privacyUrl", "termsOfUseUrl"):
        assert manifest["developer"][key].startswith("https://")
    assert re.fullmatch(r"#[0-9a-fA-F]{6}", manifest["accentColor"])
    assert manifest["permissions"] == ["identity", "messageTeamMembers"]
    assert manifest["validDomains"] == []


def test_teams_bot_and_command_lists() -> None:
    (bot,) = _teams_manifest()["bots"]
    assert bot["botId"] == PLACEHOLDER_ID
    assert set(bot["scopes"]) == {"personal", "team", "groupChat"}
    assert bot["supportsFiles"] is False
    assert bot["isNotificationOnly"] is False
    lists = bot["commandLists"]
    assert len(lists) <= 3
    covered = {scope for command_list in lists for scope in command_list["scopes"]}
    assert {"personal", "team"} <= covered
    for command_list in lists:
        titles = [c["title"] for c in command_list["commands"]]
        assert {"help", "whoami", "setup", "ask", "learn"} <= set(titles)
        assert len(titles) <= 10
        for command in command_list["commands"]:
            assert 0 < len(command["title"]) <= 32, command
            assert 0 < len(command["description"]) <= 128, command


def test_teams_icons_exist_with_the_required_sizes() -> None:
    icons = _teams_manifest()["icons"]
    assert _png_size(TEAMS / icons["color"]) == (192, 192)
    assert _png_size(TEAMS / icons["outline"]) == (32, 32)


def test_teams_outline_icon_is_white_on_transparent() -> None:
    pixels = _png_rgba_pixels(TEAMS / _teams_manifest()["icons"]["outline"])
    assert len(pixels) == 32 * 32
    assert all(a == 0 or (r, g, b) == (255, 255, 255) for r, g, b, a in pixels)
    assert any(a == 255 for *_, a in pixels), "outline icon is empty"
    assert any(a == 0 for *_, a in pixels), "outline icon has no transparent background"


def test_teams_color_icon_is_in_colour() -> None:
    pixels = _png_rgba_pixels(TEAMS / _teams_manifest()["icons"]["color"])
    opaque = [(r, g, b) for r, g, b, a in pixels if a == 255]
    assert len(opaque) > len(pixels) // 2
    assert any(r != g or g != b for r, g, b in opaque), "colour icon is greyscale"


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_make_package_builds_zip_with_app_id(tmp_path: Path) -> None:
    app_id = "12345678-90ab-cdef-1234-567890abcdef"
    out = tmp_path / "champbot-teams.zip"
    env = {**os.environ, "MicrosoftAppId": app_id}
    subprocess.run(
        ["bash", str(TEAMS / "make-package.sh"), str(out)],
        check=True,
        env=env,
        capture_output=True,
        timeout=60,
    )
    with zipfile.ZipFile(out) as zf:
        assert sorted(zf.namelist()) == ["color.png", "manifest.json", "outline.png"]
        packaged = json.loads(zf.read("manifest.json"))
    assert packaged["id"] == app_id
    assert packaged["bots"][0]["botId"] == app_id
    assert _teams_manifest()["id"] == PLACEHOLDER_ID, "the source manifest must stay untouched"


# ---------------------------------------------------------------- Dockerfile


def test_dockerfile_runs_as_non_root_user() -> None:
    stage = _final_stage()
    assert stage[0][1].split()[0].startswith("python:3.12-slim")
    users = [args for kw, args in stage if kw == "USER"]
    assert users, "final stage has no USER"
    assert users[-1].split(":")[0] not in {"root", "0"}
    assert users[-1] == "champbot"


def test_dockerfile_healthcheck_cmd_and_environment() -> None:
    stage = _final_stage()
    healthchecks = [args for kw, args in stage if kw == "HEALTHCHECK"]
    assert len(healthchecks) == 1
    assert "/healthz" in healthchecks[0]
    assert "urllib" in healthchecks[0]
    cmds = [args for kw, args in stage if kw == "CMD"]
    assert json.loads(cmds[-1]) == ["champbot", "run"]
    assert any(kw == "EXPOSE" and "3978" in args.split() for kw, args in stage)
    env = " ".join(args for kw, args in stage if kw == "ENV")
    assert "CHAMPBOT_DATABASE_URL=sqlite:////data/champbot.db" in env
    assert "CHAMPBOT_HOST=0.0.0.0" in env
    assert "PORT=3978" in env
    assert ("WORKDIR", "/app") in stage
    instructions = _dockerfile_instructions()
    assert any(kw == "RUN" and "pip install --no-cache-dir ." in args for kw, args in instructions)


def test_dockerignore_keeps_local_state_and_tests_out() -> None:
    entries = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".venv", ".git", "*.db", "tests", ".env"} <= entries


# ---------------------------------------------------------------- docker compose


def test_compose_services() -> None:
    compose = _load_yaml(DEPLOY / "docker-compose.yml")
    services = compose["services"]
    assert {"bot", "db"} <= set(services)
    bot, db = services["bot"], services["db"]
    assert "container_name" not in bot, "a fixed name prevents --scale bot=N"
    assert bot["build"]["context"] == ".."
    assert bot["depends_on"]["db"]["condition"] == "service_healthy"
    assert bot["environment"]["CHAMPBOT_DATABASE_URL"].startswith("postgresql+psycopg://")
    assert "@db:5432/" in bot["environment"]["CHAMPBOT_DATABASE_URL"]
    assert "ports" not in bot, "a host port on bot prevents --scale bot=N; the lb publishes 3978"
    assert any(str(port).endswith("3978") for port in services["lb"]["ports"])
    nginx = (ROOT / "deploy" / "nginx.conf").read_text()
    assert "http://bot:3978" in nginx and "resolver 127.0.0.11" in nginx
    assert db["image"].startswith("postgres:16")
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    volume = db["volumes"][0].split(":")[0]
    assert volume in compose["volumes"]


def test_env_example_lists_every_contract_variable() -> None:
    text = (DEPLOY / ".env.example").read_text(encoding="utf-8")
    lines = text.splitlines()
    for name in CONTRACT_ENV_VARS:
        index = next((i for i, line in enumerate(lines) if re.match(rf"^#?\s*{name}=", line)), None)
        assert index is not None, f"{name} missing from .env.example"
        above = lines[index - 1]
        assert above.startswith("#"), f"{name} has no comment line"
        assert not re.match(r"^#\s*\w+=", above), f"{name} has no comment line"
