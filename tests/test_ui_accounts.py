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


def test_the_owner_shares_from_the_navbar_and_the_viewer_sees(page, browser, server) -> None:  # type: ignore[no-untyped-def]
    """ada shares her project with bob as a viewer from the Share dialog, makes him an editor, then removes
    him; bob's project list follows; dan, who is not a member, cannot share it."""
    store = Store(server.data_dir)
    for name in ("ada", "bob", "dan"):
        accounts.add_user(store, name, PASSWORD)
    project = projects.create_project(store, Actor("ada"), "Ada's codex")

    def sign_in(p, name: str) -> None:  # type: ignore[no-untyped-def]
        p.goto(server.url)
        p.fill("#username", name)
        p.fill("#password", PASSWORD)
        p.click("button[type=submit]")
        expect(p.locator("#shell-user")).to_have_text(name, timeout=30_000)

    sign_in(page, "ada")
    expect(page.locator("#shell-project-select")).to_have_value(project.id)
    page.click("#shell-share")
    expect(page.locator(".kalamos-members")).to_contain_text("ada")
    page.fill("#shell-share-user", "nobody")
    page.click("#shell-share-add")
    expect(page.locator("#shell-share-message")).to_contain_text("No user named")
    page.fill("#shell-share-user", "bob")
    page.click("#shell-share-add")
    expect(page.locator("#shell-share-message")).to_contain_text("bob is now viewer")
    from storage.access import access_of

    assert access_of(store, project.id)["members"] == {"bob": "viewer"}
    bob = browser.new_context().new_page()
    sign_in(bob, "bob")
    expect(bob.locator("#shell-project-select")).to_contain_text("Ada's codex")
    page.locator(".kalamos-members select").select_option("editor")
    expect(page.locator("#shell-share-message")).to_contain_text("bob is now editor")
    assert access_of(store, project.id)["members"] == {"bob": "editor"}
    page.locator(".kalamos-members").get_by_role("button", name="Remove").click()
    expect(page.locator("#shell-share-message")).to_contain_text("bob removed")
    assert access_of(store, project.id)["members"] == {}
    bob.reload()
    expect(bob.locator("#shell-user")).to_have_text("bob", timeout=30_000)
    expect(bob.locator("#shell-project-select")).not_to_contain_text("Ada's codex")
    dan = browser.new_context().new_page()
    sign_in(dan, "dan")  # dan sees no project of ada's: nothing to share
    dan.click("#shell-share")
    expect(dan.locator("#shell-share-message")).to_contain_text("Choose a project first")
    with __import__("pytest").raises(Exception):
        projects.share(store, Actor("dan"), project.id, "dan", "editor")

