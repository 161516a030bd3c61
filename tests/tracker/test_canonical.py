"""Canonical forms of what analysts enter: one stored string per item, whatever alias it came by."""

import pickle
from pathlib import Path

import pytest

from tracker.core.canonical import (
    MAX_LENGTH,
    CanonicalItem,
    InvalidItem,
    canonicalise,
    host_for_display,
    normalise_host,
)

HOSTS = {
    "t.me": "telegram",
    "telegram.me": "telegram",
    "telegram.dog": "telegram",
    "telegram.org": "telegram",
    "twitter.com": "x",
    "x.com": "x",
    "youtube.com": "youtube",
    "youtu.be": "youtube",
    "facebook.com": "facebook",
    "fb.com": "facebook",
    "fb.me": "facebook",
    "instagram.com": "instagram",
    "tiktok.com": "tiktok",
    "whatsapp.com": "whatsapp",
    "wa.me": "whatsapp",
}
BLOCKLISTS = Path("/work/shared/data/blocklists")


def canonical(entered: str, handle_rules: str | None = None) -> CanonicalItem:
    return canonicalise(entered, hosts=HOSTS, handle_rules=handle_rules)


def refusal(entered: str, handle_rules: str | None = None, hosts=HOSTS) -> InvalidItem:
    with pytest.raises(InvalidItem) as caught:
        canonicalise(entered, hosts=hosts, handle_rules=handle_rules)
    return caught.value


# --- Telegram -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "entered",
    [
        "https://t.me/durov",
        "https://t.me/Durov",
        "http://t.me/durov",
        "t.me/durov",
        "t.me/durov/",
        "//t.me/durov",
        "https://T.ME/DUROV",
        "https://t.me./durov",
        "https://www.t.me/durov",
        "https://telegram.me/durov",
        "https://www.telegram.me/durov",
        "https://telegram.dog/durov",
        "https://t.me/s/durov",
        "https://t.me/s/Durov/",
        "https://t.me/durov?single",
        "https://t.me/durov?embed=1",
        "https://t.me/durov#top",
        "https://user@t.me:443/durov",
        "  https://t.me/durov \n",
        "@durov",
        "@Durov",
        "tg://resolve?domain=durov",
        "tg://resolve?domain=Durov",
    ],
)
def test_telegram_aliases_of_a_channel_collapse_to_one_canonical(entered):
    item = canonical(entered, handle_rules="telegram")

    assert (item.canonical, item.kind, item.host) == ("https://t.me/durov", "channel", "t.me")


def test_telegram_web_preview_is_the_same_channel():
    assert canonical("https://t.me/s/Durov").canonical == canonical("https://t.me/durov").canonical


@pytest.mark.parametrize(
    "entered",
    [
        "https://t.me/durov/123",
        "https://t.me/Durov/123?single",
        "https://t.me/s/durov/123",
        "https://telegram.me/durov/123/",
        "https://t.me/durov/123?comment=5",
        "tg://resolve?domain=durov&post=123",
    ],
)
def test_telegram_posts_collapse_to_one_canonical(entered):
    item = canonical(entered)

    assert (item.canonical, item.kind) == ("https://t.me/durov/123", "post")


@pytest.mark.parametrize(
    "entered",
    [
        "https://t.me/joinchat/AAAAAEkk2WdoDrB4-Q8-gg",
        "https://t.me/+AAAAAEkk2WdoDrB4-Q8-gg",
        "https://telegram.me/joinchat/AAAAAEkk2WdoDrB4-Q8-gg/",
        "t.me/%2BAAAAAEkk2WdoDrB4-Q8-gg",
        "tg://join?invite=AAAAAEkk2WdoDrB4-Q8-gg",
    ],
)
def test_telegram_invite_links_are_one_group_and_keep_the_hash_case(entered):
    item = canonical(entered)

    assert (item.canonical, item.kind) == ("https://t.me/+AAAAAEkk2WdoDrB4-Q8-gg", "group")


def test_telegram_phone_number_link_is_an_account():
    assert canonical("https://t.me/+6281234567890").kind == "account"


@pytest.mark.parametrize(
    ("entered", "expected", "kind"),
    [
        ("https://t.me/c/1234567890/55", "https://t.me/c/1234567890/55", "post"),
        ("https://t.me/c/1234567890/55?single", "https://t.me/c/1234567890/55", "post"),
        ("tg://privatepost?channel=1234567890&post=55", "https://t.me/c/1234567890/55", "post"),
        ("https://t.me/c/1234567890", "https://t.me/c/1234567890", "channel"),
    ],
)
def test_telegram_private_channel_posts(entered, expected, kind):
    item = canonical(entered)

    assert (item.canonical, item.kind) == (expected, kind)


@pytest.mark.parametrize(
    "entered", ["https://t.me/SomeHelperBot", "https://t.me/somehelperbot?start=abc", "@SomeHelper_BOT"]
)
def test_telegram_username_ending_in_bot_is_a_bot(entered):
    assert canonical(entered, handle_rules="telegram").kind == "bot"


def test_telegram_bot_start_parameter_is_dropped():
    assert canonical("https://t.me/somehelperbot?start=abc").canonical == "https://t.me/somehelperbot"


@pytest.mark.parametrize(
    ("entered", "expected", "host"),
    [
        ("https://telegram.org/faq", "https://telegram.org/faq", "telegram.org"),
        ("https://core.telegram.org/bots/api#authorizing", "https://core.telegram.org/bots/api", "core.telegram.org"),
        ("https://t.me/addstickers/SomePack", "https://t.me/addstickers/SomePack", "t.me"),
        ("https://telegram.me/addstickers/SomePack", "https://t.me/addstickers/SomePack", "t.me"),
        ("https://t.me/durov/abc", "https://t.me/durov/abc", "t.me"),
    ],
)
def test_other_telegram_addresses_are_web_pages(entered, expected, host):
    item = canonical(entered)

    assert (item.canonical, item.kind, item.host) == (expected, "web_page", host)


def test_telegram_app_link_counts_as_telegram_whatever_platform_was_chosen():
    item = canonical("tg://resolve?domain=durov", handle_rules="x")

    assert (item.canonical, item.registry_host) == ("https://t.me/durov", None)


# --- X / Twitter --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "entered",
    [
        "https://x.com/jack",
        "https://twitter.com/jack",
        "https://twitter.com/Jack/",
        "https://www.twitter.com/JACK",
        "https://mobile.twitter.com/jack",
        "https://www.x.com/jack?lang=en",
        "https://x.com/jack/with_replies",
        "http://twitter.com/#!/jack",
        "@Jack",
    ],
)
def test_x_account_aliases_collapse_to_one_canonical(entered):
    item = canonical(entered, handle_rules="x")

    assert (item.canonical, item.kind, item.host) == ("https://x.com/jack", "account", "x.com")


@pytest.mark.parametrize(
    "entered",
    [
        "https://twitter.com/jack/status/20",
        "https://x.com/Jack/status/20?s=20&t=AbCdEf",
        "https://mobile.twitter.com/jack/statuses/20",
        "https://twitter.com/jack/status/20/photo/1",
        "https://twitter.com/#!/jack/status/20",
        "https://x.com/jack/status/20?ref_src=twsrc%5Etfw&ref_url=https%3A%2F%2Fexample.com",
    ],
)
def test_x_posts_collapse_to_one_canonical(entered):
    item = canonical(entered)

    assert (item.canonical, item.kind) == ("https://x.com/jack/status/20", "post")


@pytest.mark.parametrize("entered", ["https://twitter.com/i/web/status/20", "https://x.com/i/status/20"])
def test_x_post_without_its_author_is_a_post(entered):
    assert (canonical(entered).canonical, canonical(entered).kind) == ("https://x.com/i/status/20", "post")


@pytest.mark.parametrize(
    ("entered", "expected"),
    [
        ("https://twitter.com/home", "https://x.com/home"),
        ("https://x.com/explore", "https://x.com/explore"),
        ("https://twitter.com/search?q=abc&src=typed_query&s=09", "https://x.com/search?q=abc&src=typed_query"),
        ("https://x.com/hashtag/Example?src=hashtag_click", "https://x.com/hashtag/Example?src=hashtag_click"),
        ("https://x.com/settings/account", "https://x.com/settings/account"),
        ("https://x.com/i/lists/123", "https://x.com/i/lists/123"),
    ],
)
def test_x_reserved_paths_are_web_pages(entered, expected):
    item = canonical(entered)

    assert (item.canonical, item.kind) == (expected, "web_page")


# --- YouTube ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "entered",
    [
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        "https://youtube.com/watch?v=dQw4w9WgXcQ&feature=share",
        "https://m.youtube.com/watch?v=dQw4w9WgXcQ&t=42s",
        "https://music.youtube.com/watch?v=dQw4w9WgXcQ&list=RDAMVM&index=3&pp=ygU",
        "https://www.youtube.com/watch?feature=youtu.be&v=dQw4w9WgXcQ",
        "https://youtu.be/dQw4w9WgXcQ",
        "https://youtu.be/dQw4w9WgXcQ?si=AbCdEfGh&t=10",
        "https://www.youtube.com/shorts/dQw4w9WgXcQ",
        "https://www.youtube.com/embed/dQw4w9WgXcQ?autoplay=1",
        "https://www.youtube.com/live/dQw4w9WgXcQ?si=x",
    ],
)
def test_youtube_video_aliases_collapse_to_one_watch_address(entered):
    item = canonical(entered)

    assert (item.canonical, item.kind, item.host) == (
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        "post",
        "www.youtube.com",
    )


@pytest.mark.parametrize(
    ("entered", "expected"),
    [
        ("https://www.youtube.com/@SomeChannel", "https://www.youtube.com/@somechannel"),
        ("https://m.youtube.com/@somechannel/videos", "https://www.youtube.com/@somechannel"),
        ("@SomeChannel", "https://www.youtube.com/@somechannel"),
        (
            "https://www.youtube.com/channel/UCuAXFkgsw1L7xaCfnd5JJOw",
            "https://www.youtube.com/channel/UCuAXFkgsw1L7xaCfnd5JJOw",
        ),
        (
            "https://youtube.com/channel/UCuAXFkgsw1L7xaCfnd5JJOw/",
            "https://www.youtube.com/channel/UCuAXFkgsw1L7xaCfnd5JJOw",
        ),
        ("https://www.youtube.com/c/SomeName", "https://www.youtube.com/c/somename"),
        ("https://www.youtube.com/user/SomeName/videos", "https://www.youtube.com/user/somename"),
    ],
)
def test_youtube_channels(entered, expected):
    item = canonical(entered, handle_rules="youtube")

    assert (item.canonical, item.kind) == (expected, "channel")


def test_youtube_unicode_handle_is_lower_cased_and_shown_decoded():
    item = canonical("https://www.youtube.com/@%D0%9A%D0%B0%D0%BD%D0%B0%D0%BB")

    assert item.canonical == "https://www.youtube.com/@%D0%BA%D0%B0%D0%BD%D0%B0%D0%BB"
    assert item.display == "https://www.youtube.com/@канал"


def test_youtube_playlist_keeps_its_list_and_drops_share_tracking():
    item = canonical("https://www.youtube.com/playlist?si=abc&list=PLabc")

    assert (item.canonical, item.kind) == ("https://www.youtube.com/playlist?list=PLabc", "web_page")


# --- Facebook -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "entered",
    [
        "https://www.facebook.com/SomePage",
        "https://facebook.com/somepage/",
        "https://m.facebook.com/somepage?ref=bookmarks",
        "https://mbasic.facebook.com/somepage",
        "https://web.facebook.com/somepage?_rdr",
        "https://fb.com/SomePage",
        "https://fb.me/somepage",
        "https://www.facebook.com/somepage?fbclid=IwAR0abc&mibextid=ZbWKwL",
    ],
)
def test_facebook_page_aliases_collapse_to_one_account(entered):
    item = canonical(entered)

    assert (item.canonical, item.kind, item.host) == (
        "https://www.facebook.com/somepage",
        "account",
        "www.facebook.com",
    )


@pytest.mark.parametrize(
    ("entered", "expected", "kind"),
    [
        (
            "https://m.facebook.com/profile.php?id=100004123&ref=content_filter",
            "https://www.facebook.com/profile.php?id=100004123",
            "account",
        ),
        (
            "https://www.facebook.com/people/Some-Name/100004123/",
            "https://www.facebook.com/profile.php?id=100004123",
            "account",
        ),
        ("https://www.facebook.com/groups/SomeGroup/", "https://www.facebook.com/groups/somegroup", "group"),
        ("https://m.facebook.com/groups/123456789?ref=share", "https://www.facebook.com/groups/123456789", "group"),
        (
            "https://www.facebook.com/groups/123456789/permalink/987",
            "https://www.facebook.com/groups/123456789/posts/987",
            "post",
        ),
        (
            "https://www.facebook.com/SomePage/posts/pfbid02AbCdEf",
            "https://www.facebook.com/somepage/posts/pfbid02AbCdEf",
            "post",
        ),
        (
            "https://m.facebook.com/permalink.php?story_fbid=pfbid0XyZ&id=100004123&__tn__=%2CO",
            "https://www.facebook.com/permalink.php?id=100004123&story_fbid=pfbid0XyZ",
            "post",
        ),
        (
            "https://m.facebook.com/story.php?story_fbid=555&id=100004123&mibextid=Nif5oz",
            "https://www.facebook.com/permalink.php?id=100004123&story_fbid=555",
            "post",
        ),
        (
            "https://www.facebook.com/watch/?v=123456789&ref=sharing",
            "https://www.facebook.com/watch?v=123456789",
            "post",
        ),
        ("https://fb.com/watch?v=123456789", "https://www.facebook.com/watch?v=123456789", "post"),
    ],
)
def test_facebook_profiles_groups_and_posts(entered, expected, kind):
    item = canonical(entered)

    assert (item.canonical, item.kind) == (expected, kind)


def test_facebook_feature_pages_are_web_pages():
    item = canonical("https://m.facebook.com/marketplace/item/123?ref=search")

    assert (item.canonical, item.kind) == ("https://www.facebook.com/marketplace/item/123", "web_page")


# --- Instagram, TikTok, WhatsApp ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entered", "expected", "kind"),
    [
        ("https://www.instagram.com/Some.User/", "https://www.instagram.com/some.user", "account"),
        ("https://instagram.com/some.user?igshid=YmMyMTA2M2Y=", "https://www.instagram.com/some.user", "account"),
        ("@Some.User", "https://www.instagram.com/some.user", "account"),
        ("https://www.instagram.com/p/CxYzAb-_1/", "https://www.instagram.com/p/CxYzAb-_1", "post"),
        (
            "https://instagram.com/p/CxYzAb-_1/?igsh=MWQ1ZGUx&img_index=2",
            "https://www.instagram.com/p/CxYzAb-_1",
            "post",
        ),
        ("https://www.instagram.com/some.user/p/CxYzAb-_1/", "https://www.instagram.com/p/CxYzAb-_1", "post"),
        (
            "https://www.instagram.com/reel/CzReEl123/?utm_source=ig_web_copy_link",
            "https://www.instagram.com/reel/CzReEl123",
            "post",
        ),
        ("https://www.instagram.com/reels/CzReEl123/", "https://www.instagram.com/reel/CzReEl123", "post"),
        ("https://www.instagram.com/tv/CtV123/", "https://www.instagram.com/tv/CtV123", "post"),
        (
            "https://www.instagram.com/explore/tags/example/",
            "https://www.instagram.com/explore/tags/example/",
            "web_page",
        ),
    ],
)
def test_instagram_accounts_and_posts(entered, expected, kind):
    item = canonical(entered, handle_rules="instagram")

    assert (item.canonical, item.kind) == (expected, kind)


@pytest.mark.parametrize(
    ("entered", "expected", "kind"),
    [
        ("https://www.tiktok.com/@Some.User", "https://www.tiktok.com/@some.user", "account"),
        ("https://m.tiktok.com/@some.user/?lang=en", "https://www.tiktok.com/@some.user", "account"),
        ("https://tiktok.com/@some.user?_t=8abc&_r=1", "https://www.tiktok.com/@some.user", "account"),
        ("@Some.User", "https://www.tiktok.com/@some.user", "account"),
        (
            "https://www.tiktok.com/@Some.User/video/7234567890123456789?is_from_webapp=1&sender_device=pc",
            "https://www.tiktok.com/@some.user/video/7234567890123456789",
            "post",
        ),
        ("https://vm.tiktok.com/ZMabcDEF/", "https://vm.tiktok.com/ZMabcDEF/", "web_page"),
    ],
)
def test_tiktok_accounts_and_videos(entered, expected, kind):
    item = canonical(entered, handle_rules="tiktok")

    assert (item.canonical, item.kind) == (expected, kind)


def test_tiktok_short_link_keeps_its_own_host():
    item = canonical("https://vm.tiktok.com/ZMabcDEF/")

    assert (item.host, item.registry_host) == ("vm.tiktok.com", "tiktok.com")


@pytest.mark.parametrize(
    ("entered", "expected", "kind"),
    [
        ("https://chat.whatsapp.com/AbCdEfGhIjK123", "https://chat.whatsapp.com/AbCdEfGhIjK123", "group"),
        ("https://chat.whatsapp.com/invite/AbCdEfGhIjK123/", "https://chat.whatsapp.com/AbCdEfGhIjK123", "group"),
        ("https://wa.me/6281234567890", "https://wa.me/6281234567890", "account"),
        ("https://wa.me/6281234567890?text=hello", "https://wa.me/6281234567890", "account"),
        ("https://api.whatsapp.com/send?phone=6281234567890&text=hi", "https://wa.me/6281234567890", "account"),
        ("https://api.whatsapp.com/send/?phone=%2B6281234567890", "https://wa.me/6281234567890", "account"),
        ("https://whatsapp.com/channel/0029VaAbCdEf123", "https://whatsapp.com/channel/0029VaAbCdEf123", "channel"),
        (
            "https://www.whatsapp.com/channel/0029VaAbCdEf123/",
            "https://whatsapp.com/channel/0029VaAbCdEf123",
            "channel",
        ),
        ("https://www.whatsapp.com/legal/terms", "https://www.whatsapp.com/legal/terms", "web_page"),
    ],
)
def test_whatsapp_groups_numbers_and_channels(entered, expected, kind):
    item = canonical(entered)

    assert (item.canonical, item.kind) == (expected, kind)


# --- generic rules ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entered", "expected"),
    [
        ("https://example.com", "https://example.com/"),
        ("example.com/", "https://example.com/"),
        ("HTTPS://Example.COM/Path/Page", "https://example.com/Path/Page"),
        ("http://example.com/", "http://example.com/"),
        ("http://example.com:80/a", "http://example.com/a"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("https://example.com:8443/a", "https://example.com:8443/a"),
        ("http://example.com:443/a", "http://example.com:443/a"),
        ("https://example.com:08080/a", "https://example.com:8080/a"),
        ("example.com:8080/a", "https://example.com:8080/a"),
        ("https://user:secret@example.com/a", "https://example.com/a"),
        ("https://example.com./a", "https://example.com/a"),
        ("https://example.com/a#section-2", "https://example.com/a"),
        ("https://example.com/a/./b/../c", "https://example.com/a/c"),
        ("https://example.com/a/b/..", "https://example.com/a/"),
        ("https://example.com/../../a", "https://example.com/a"),
        ("https://example.com/a/%2e%2E/b", "https://example.com/b"),
        ("https://example.com?q=1", "https://example.com/?q=1"),
        ("https://example.com/a/", "https://example.com/a/"),
        ("https:\\\\example.com\\a\\b", "https://example.com/a/b"),
        ("https:example.com/a", "https://example.com/a"),
        ("https:///example.com/a", "https://example.com/a"),
    ],
)
def test_generic_scheme_host_port_and_path(entered, expected):
    item = canonical(entered)

    assert (item.canonical, item.kind) == (expected, "web_page")


@pytest.mark.parametrize(
    ("entered", "expected"),
    [
        ("https://example.com/%7euser", "https://example.com/~user"),
        ("https://example.com/%41%62%2D%5f", "https://example.com/Ab-_"),
        ("https://example.com/a%2fb", "https://example.com/a%2Fb"),
        ("https://example.com/a%3fb?x=%3d", "https://example.com/a%3Fb?x=%3D"),
        ("https://example.com/100%", "https://example.com/100%25"),
        ("https://example.com/%zz", "https://example.com/%25zz"),
        ("https://example.com/€", "https://example.com/%E2%82%AC"),
        ("https://example.com/%e2%82%ac", "https://example.com/%E2%82%AC"),
        ('https://example.com/a"b<c>', "https://example.com/a%22b%3Cc%3E"),
        ("https://example.com/a|b^c`d{e}", "https://example.com/a%7Cb%5Ec%60d%7Be%7D"),
        ("https://example.com/?q=caf%C3%A9&r=café", "https://example.com/?q=caf%C3%A9&r=caf%C3%A9"),
        ("https://example.com/?a=b+c&d=e%20f", "https://example.com/?a=b+c&d=e%20f"),
    ],
)
def test_percent_encoding_is_normalised(entered, expected):
    assert canonical(entered).canonical == expected


@pytest.mark.parametrize(
    ("entered", "expected"),
    [
        ("https://example.com/?utm_source=x&utm_medium=y&utm_campaign=z", "https://example.com/"),
        ("https://example.com/?UTM_Source=x&id=3", "https://example.com/?id=3"),
        ("https://example.com/?id=3&fbclid=IwAR0&gclid=Cj0&msclkid=abc", "https://example.com/?id=3"),
        (
            "https://example.com/?mc_cid=1&mc_eid=2&yclid=3&twclid=4&ttclid=5&_ga=6&_gl=7&id=3",
            "https://example.com/?id=3",
        ),
        ("https://example.com/?dclid=1&gbraid=2&wbraid=3&igshid=4&igsh=5&id=3", "https://example.com/?id=3"),
        ("https://example.com/?utm%5Fsource=x&id=3", "https://example.com/?id=3"),
    ],
)
def test_tracking_parameters_are_dropped(entered, expected):
    assert canonical(entered).canonical == expected


@pytest.mark.parametrize(
    ("entered", "expected"),
    [
        ("https://example.com/?b=2&a=1", "https://example.com/?a=1&b=2"),
        ("https://example.com/?b=2&a=1&b=1&a=", "https://example.com/?a=1&a=&b=2&b=1"),
        ("https://example.com/?flag&a=1", "https://example.com/?a=1&flag"),
        ("https://example.com/?a=1&&b=2&", "https://example.com/?a=1&b=2"),
        ("https://example.com/?", "https://example.com/"),
    ],
)
def test_query_is_sorted_by_name_keeping_blank_and_repeated_values(entered, expected):
    assert canonical(entered).canonical == expected


@pytest.mark.parametrize(
    ("entered", "expected", "display"),
    [
        ("https://пример.рф/путь", "https://xn--e1afmkfd.xn--p1ai/%D0%BF%D1%83%D1%82%D1%8C", "https://пример.рф/путь"),
        ("http://bücher.de", "http://xn--bcher-kva.de/", "http://bücher.de/"),
        ("https://BÜCHER.de/Straße", "https://xn--bcher-kva.de/Stra%C3%9Fe", "https://bücher.de/Straße"),
        ("https://xn--bcher-kva.de/", "https://xn--bcher-kva.de/", "https://bücher.de/"),
        ("https://ｅｘａｍｐｌｅ。com/", "https://example.com/", "https://example.com/"),
        ("https://faß.de/", "https://xn--fa-hia.de/", "https://faß.de/"),
        ("https://例え.テスト/", "https://xn--r8jz45g.xn--zckzah/", "https://例え.テスト/"),
        ("https://☃.net/", "https://xn--n3h.net/", "https://☃.net/"),
    ],
)
def test_international_hosts_are_stored_as_punycode_and_shown_in_unicode(entered, expected, display):
    item = canonical(entered)

    assert (item.canonical, item.display) == (expected, display)
    assert item.canonical.isascii()


@pytest.mark.parametrize(
    ("entered", "display"),
    [
        ("https://example.com/a%2Fb%20c", "https://example.com/a%2Fb%20c"),
        ("https://example.com/%E2%80%AEevil", "https://example.com/%E2%80%AEevil"),
        ("https://example.com/%FF%FE", "https://example.com/%FF%FE"),
        ("https://example.com/%D0%BF?q=%D1%83", "https://example.com/п?q=у"),
    ],
)
def test_display_decodes_only_what_is_safe_to_read(entered, display):
    assert canonical(entered).display == display


@pytest.mark.parametrize(
    ("entered", "expected"),
    [
        ("example.com", "example.com"),
        ("EXAMPLE.com.", "example.com"),
        ("www.example.com", "www.example.com"),
        ("bücher.example", "xn--bcher-kva.example"),
        ("xn--bcher-kva.example", "xn--bcher-kva.example"),
        ("shop_promo.example-host.com", "shop_promo.example-host.com"),
        ("promo-.blogspot.example", "promo-.blogspot.example"),
        ("-promo.example.net", "-promo.example.net"),
        ("12345_abcdef.blogspot.co.id", "12345_abcdef.blogspot.co.id"),
        ("t.me", "t.me"),
    ],
)
def test_bare_host_is_a_domain(entered, expected):
    item = canonical(entered)

    assert (item.canonical, item.kind, item.host) == (expected, "domain", expected)


def test_domain_is_shown_in_unicode():
    assert canonical("bücher.example").display == "bücher.example"


def test_bare_telegram_domain_is_a_domain_on_its_registry_host():
    item = canonical("t.me")

    assert (item.kind, item.registry_host) == ("domain", "t.me")


def test_result_is_ascii_and_within_the_limit_for_long_unicode_paths():
    item = canonical("https://example.com/" + "п" * 300)

    assert item.canonical.isascii()
    assert len(item.canonical) <= MAX_LENGTH


# --- registry -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "registry_host"),
    [
        ("facebook.com", "facebook.com"),
        ("m.facebook.com", "facebook.com"),
        ("a.b.facebook.com", "facebook.com"),
        ("static.news.example.org", "news.example.org"),
        ("news.example.org", "news.example.org"),
        ("other.example.org", "example.org"),
        ("notfacebook.com", None),
        ("facebook.com.evil.example", None),
    ],
)
def test_registry_host_is_the_nearest_listed_parent(host, registry_host):
    hosts = {"facebook.com": "facebook", "example.org": "generic", "news.example.org": "generic"}

    assert canonicalise(f"https://{host}/x", hosts=hosts).registry_host == registry_host


def test_unknown_host_gets_generic_rules_and_no_registry_host():
    item = canonicalise("https://www.youtube.com/watch?v=dQw4w9WgXcQ&b=2&a=1", hosts={})

    assert (item.canonical, item.kind, item.registry_host) == (
        "https://www.youtube.com/watch?a=1&b=2&v=dQw4w9WgXcQ",
        "web_page",
        None,
    )


def test_platform_rules_follow_the_registry_not_the_host_name():
    item = canonicalise("https://telegram.dog/Durov", hosts={"t.me": "telegram"})

    assert (item.canonical, item.kind) == ("https://telegram.dog/Durov", "web_page")


def test_handles_have_no_registry_host():
    assert canonical("@durov", handle_rules="telegram").registry_host is None


def test_platform_address_on_another_port_gets_generic_rules():
    item = canonical("https://t.me:8443/Durov")

    assert (item.canonical, item.kind) == ("https://t.me:8443/Durov", "web_page")


def test_unknown_rules_key_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown") as caught:
        canonicalise("@durov", hosts=HOSTS, handle_rules="myspace")

    assert not isinstance(caught.value, InvalidItem)


# --- refusals -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entered", "code", "named"),
    [
        ("", "empty", "Nothing"),
        ("   \t\n", "empty", "Nothing"),
        ("javascript:alert(1)", "scheme_not_allowed", '"javascript:"'),
        ("JaVaScRiPt:alert(document.cookie)", "scheme_not_allowed", '"javascript:"'),
        ("  javascript:void(0)", "scheme_not_allowed", '"javascript:"'),
        ("data:text/html;base64,PHNjcmlwdD4=", "scheme_not_allowed", '"data:"'),
        ("file:///etc/passwd", "scheme_not_allowed", '"file:"'),
        ("vbscript:msgbox(1)", "scheme_not_allowed", '"vbscript:"'),
        ("mailto:someone@example.com", "scheme_not_allowed", '"mailto:"'),
        ("ftp://example.com/file", "scheme_not_allowed", '"ftp:"'),
        ("ws://example.com/socket", "scheme_not_allowed", '"ws:"'),
        ("chrome-extension://abc/page.html", "scheme_not_allowed", '"chrome-extension:"'),
        ("http://127.0.0.1/", "ip_address_host", "127.0.0.1"),
        ("https://8.8.8.8/dns", "ip_address_host", "8.8.8.8"),
        ("8.8.8.8", "ip_address_host", "8.8.8.8"),
        ("http://2130706433/", "ip_address_host", "127.0.0.1"),
        ("http://0x7f.1/", "ip_address_host", "127.0.0.1"),
        ("http://0177.0.0.1/", "ip_address_host", "127.0.0.1"),
        ("http://0x7f000001/", "ip_address_host", "127.0.0.1"),
        ("http://1.2.3.4./", "ip_address_host", "1.2.3.4"),
        ("http://[::1]/", "ip_address_host", "::1"),
        ("https://[2001:db8::1]:8443/x", "ip_address_host", "2001:db8::1"),
        ("https://example.com:99999/", "invalid_port", '"99999"'),
        ("https://example.com:0/", "invalid_port", '"0"'),
        ("https://example.com:80a/", "invalid_port", '"80a"'),
        ("www.example.com:abc/page", "invalid_port", '"abc"'),
        ("org.example.app://open/item", "scheme_not_allowed", '"org.example.app:"'),
        ("https://localhost/", "invalid_host", "two labels"),
        ("https://example..com/", "invalid_host", "empty label"),
        ("https://.example.com/", "invalid_host", "empty label"),
        ("https://example.123/", "invalid_host", "number"),
        ("https://*.example.com/", "invalid_host", '"*"'),
        ("https://exa!mple.com/", "invalid_host", '"!"'),
        ("https:///", "invalid_host", "no host"),
        ("https://" + "a" * 64 + ".com/", "invalid_host", "63"),
        ("https://" + "abcdefghi." * 26 + "com/", "invalid_host", "253"),
        ("https://exa mple.com/", "space_inside", "space"),
        ("https://example.com/a b", "space_inside", "space"),
        ("https://example.com/a\tb", "space_inside", "space"),
        ("https://example.com/a\u00a0b", "space_inside", "space"),
        ("https://example.com/a\x00b", "control_character", "U+0000"),
        ("https://example.com/\u202egnp.exe", "control_character", "U+202E"),
        ("https://example.com/\u200b", "control_character", "U+200B"),
        ("someone@example.com", "email_address", "email"),
        ("https://example.com/" + "a" * 2100, "too_long", "2048"),
        ("https://example.com/" + "€" * 400, "too_long", "2048"),
    ],
)
def test_refusals_name_the_problem(entered, code, named):
    refused = refusal(entered)

    assert refused.code == code
    assert named in refused.message


@pytest.mark.parametrize(
    ("entered", "handle_rules", "code", "named"),
    [
        ("@durov", None, "handle_needs_platform", "@durov"),
        ("@durov", "generic", "handle_needs_platform", "platform"),
        ("@abc", "telegram", "invalid_handle", '"abc"'),
        ("@" + "a" * 33, "telegram", "invalid_handle", "32"),
        ("@du-rov", "telegram", "invalid_handle", '"du-rov"'),
        ("@", "telegram", "invalid_handle", "Telegram"),
        ("@this_is_far_too_long_for_x", "x", "invalid_handle", "15"),
        ("@a", "tiktok", "invalid_handle", "TikTok"),
        ("@someone", "whatsapp", "handle_not_supported", "WhatsApp"),
        ("https://t.me/abc", None, "invalid_handle", '"abc"'),
        ("https://t.me/s/du-rov", None, "invalid_handle", '"du-rov"'),
        ("tg://resolve?domain=ab", None, "invalid_handle", '"ab"'),
        ("tg://resolve", None, "invalid_handle", "domain="),
        ("tg://msg?text=hi", None, "unsupported_link", "tg://msg"),
    ],
)
def test_handle_refusals_name_the_problem(entered, handle_rules, code, named):
    refused = refusal(entered, handle_rules)

    assert refused.code == code
    assert named in refused.message


def test_overlong_entry_states_the_limit():
    refused = refusal("https://example.com/" + "a" * MAX_LENGTH)

    assert (refused.code, str(MAX_LENGTH) in refused.message) == ("too_long", True)


def test_invalid_item_is_a_value_error_that_survives_pickling():
    refused = refusal("javascript:alert(1)")
    copy = pickle.loads(pickle.dumps(refused))  # noqa: S301 (our own exception, read back at once)

    assert isinstance(refused, ValueError)
    assert (copy.code, copy.message, str(copy)) == (refused.code, refused.message, refused.message)


# --- hosts on their own -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("Example.COM", "example.com"),
        ("example.com.", "example.com"),
        ("Bücher.de", "xn--bcher-kva.de"),
        ("пример.рф", "xn--e1afmkfd.xn--p1ai"),
        ("XN--BCHER-KVA.de", "xn--bcher-kva.de"),
        ("%65xample.com", "example.com"),
        ("under_score.example", "under_score.example"),
    ],
)
def test_normalise_host(host, expected):
    assert normalise_host(host) == expected


@pytest.mark.parametrize("host", ["127.0.0.1", "[::1]", "::1", "0x7f.1", "2130706433"])
def test_normalise_host_refuses_ip_addresses(host):
    with pytest.raises(InvalidItem) as caught:
        normalise_host(host)

    assert caught.value.code == "ip_address_host"


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("xn--bcher-kva.de", "bücher.de"),
        ("xn--e1afmkfd.xn--p1ai", "пример.рф"),
        ("example.com", "example.com"),
        ("xn--n3h.net", "☃.net"),
        ("xn--zz.example", "xn--zz.example"),
    ],
)
def test_host_for_display(host, expected):
    assert host_for_display(host) == expected


@pytest.mark.skipif(not BLOCKLISTS.exists(), reason="the shared blocklist sample is not on this machine")
def test_names_from_a_national_blocklist_are_domains_as_listed():
    names = []
    for file in sorted(BLOCKLISTS.glob("trustpositif-*.txt")):
        with file.open() as lines:
            names += [line.strip() for _, line in zip(range(20_000), lines, strict=False) if line.strip()]

    unexpected = [name for name in names if canonicalise(name, hosts={}).canonical != name.lower()]

    assert unexpected == []
