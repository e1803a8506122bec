"""In a real browser, on a server with accounts: the app sends a stranger to the sign-in page, a wrong
password is said so, the right one opens the app with the user's name in the navbar and only the projects
they may see; signing out closes it again."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from services import projects
from services.projects import Actor
from storage import Store, accounts

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"


def test_sign_in_see_ones_own_projects_sign_out(page, server) -> None:  # type: ignore[no-untyped-def]
    store = Store(server.data_dir)
    accounts.add_user(store, "ada", PASSWORD)
    accounts.add_user(store, "dan", PASSWORD)
    projects.create_project(store, Actor("ada"), "Ada's codex")
    projects.create_project(store, Actor("dan"), "Dan's own")
    page.goto(server.url)
    expect(page).to_have_url(f"{server.url}/login?next=/")
    page.fill("#username", "ada")
    page.fill("#password", "not it at all")
    page.click("button[type=submit]")
    expect(page.get_by_role("alert")).to_contain_text("Wrong user name or password")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("#shell-user")).to_have_text("ada", timeout=30_000)
    expect(page.locator("#shell-project-select")).to_contain_text("Ada's codex")
    expect(page.locator("#shell-project-select")).not_to_contain_text("Dan's own")
    page.click("#shell-sign-out")
    expect(page).to_have_url(f"{server.url}/login")
    page.goto(server.url)
    expect(page).to_have_url(f"{server.url}/login?next=/")
