"""Builders for the formats tgnorm reads, used by the hostile-input cases.

Everything is generated from code (no stored blobs): small, plausible
Telegram Desktop `result.json` files, tgnorm JSONL posts, Telegram Desktop
`messages*.html` pages, saved `t.me/s/<channel>` pages and plain-text dumps,
each with hooks to plant one fault. Python 3 standard library only.
"""

import base64
import datetime
import json

CHAT = "Hostile Test"
EPOCH = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)


def when(i: int) -> datetime.datetime:
    return EPOCH + datetime.timedelta(minutes=i)


# ---------------------------------------------------------------------------
# Telegram Desktop result.json


def td_message(i: int, text: str = None, **extra) -> dict:
    """One `messages` element as a 2025 Telegram Desktop writes it."""
    text = f"message {i}" if text is None else text
    t = when(i)
    m = {
        "id": i,
        "type": "message",
        "date": t.strftime("%Y-%m-%dT%H:%M:%S"),
        "date_unixtime": str(int(t.timestamp())),
        "from": "Alice",
        "from_id": "user1001",
        "text": text,
        "text_entities": [{"type": "plain", "text": text}] if text else [],
    }
    m.update(extra)
    return m


def td_head(name: str = CHAT) -> str:
    return '{\n "name": %s,\n "type": "public_channel",\n "id": 1234567890,\n "messages": [\n' % (
        json.dumps(name, ensure_ascii=False)
    )


def td_message_text(m: dict) -> str:
    """A message in Telegram Desktop's layout: one space of indent per level,
    the message at two spaces."""
    body = json.dumps(m, indent=1, ensure_ascii=False)
    return "\n".join("  " + line for line in body.split("\n"))


def td_result(messages: list, name: str = CHAT) -> str:
    """A whole single-chat result.json, pretty-printed like the writer."""
    parts = [td_message_text(m) if isinstance(m, dict) else m for m in messages]
    return td_head(name) + ",\n".join(parts) + "\n ]\n}"


def td_minified(messages: list) -> str:
    return json.dumps(
        {"name": CHAT, "type": "public_channel", "id": 1234567890, "messages": messages},
        ensure_ascii=False,
        separators=(",", ":"),
    )


def line_of(text: str, needle: str, start: int = 0) -> int:
    """1-based line of the first `needle` at or after offset `start`."""
    at = text.index(needle, start)
    return text.count("\n", 0, at) + 1


# ---------------------------------------------------------------------------
# tgnorm JSONL


def post(i: int, text: str = None, **over) -> dict:
    """A post as tgnorm writes it (valid under schemas/post.schema.json)."""
    text = f"post {i}" if text is None else text
    p = {
        "chat": {"name": CHAT, "id": "channel1234567890", "username": "hostile", "type": "public_channel"},
        "id": i,
        "kind": "message",
        "date": when(i).strftime("%Y-%m-%dT%H:%M:%S+00:00"),
        "edited": None,
        "edited_at": None,
        "from": {"name": CHAT, "id": "channel1234567890"},
        "author": None,
        "forwarded_from": None,
        "reply_to": None,
        "via_bot": None,
        "text": text,
        "entities": [],
        "media": [],
        "service": None,
        "reactions": [],
        "views": 7,
        "source": {"format": "web-html", "file": "page.html", "line": i, "end_line": i, "index": i},
        "cleaned": [],
    }
    p.update(over)
    return p


def jsonl(posts: list) -> str:
    return "".join(json.dumps(p, ensure_ascii=False) + "\n" for p in posts)


# ---------------------------------------------------------------------------
# Telegram Desktop messages*.html

PAGE_HEAD = """<!DOCTYPE html>
<html>

 <head>

  <meta charset="utf-8"/>
<title>Exported Data</title>
  <meta content="width=device-width, initial-scale=1.0" name="viewport"/>

  <link href="css/style.css" rel="stylesheet"/>

  <script src="js/script.js" type="text/javascript">

  </script>

 </head>

 <body onload="CheckLocation();">

  <div class="page_wrap">

   <div class="page_header">

    <div class="content">

     <div class="text bold">
%s
     </div>

    </div>

   </div>

   <div class="page_body chat_page">

    <div class="history">
"""

PAGE_TAIL = """
    </div>

   </div>

  </div>

 </body>

</html>
"""


def html_message(i: int, text: str = None, title: str = None) -> str:
    """One `div.message.default` (the text is inserted as given: escape it
    yourself, or plant markup)."""
    text = f"message {i}" if text is None else text
    title = title or when(i).strftime("%d.%m.%Y %H:%M:%S UTC+00:00")
    return f"""
     <div class="message default clearfix" id="message{i}">

      <div class="body">

       <div class="pull_right date details" title="{title}">
{when(i).strftime("%H:%M")}
       </div>

       <div class="from_name">
Alice 
       </div>

       <div class="text">
{text}
       </div>

      </div>

     </div>
"""


def html_page(messages: list, prev: str = None, next_: str = None, chat: str = CHAT) -> str:
    """A page: `messages` are ids (int) or ready message markup (str)."""
    out = [PAGE_HEAD % chat]
    if prev:
        out.append(f'\n     <a class="pagination block_link" href="{prev}">\nPrevious messages\n     </a>\n')
    for m in messages:
        out.append(html_message(m) if isinstance(m, int) else m)
    if next_:
        out.append(f'\n     <a class="pagination block_link" href="{next_}">\nNext messages\n     </a>\n')
    out.append(PAGE_TAIL)
    return "".join(out)


def html_folder(pages: list) -> dict:
    """`{file name: page}` for pages of message ids, linked in order."""
    names = ["messages.html"] + [f"messages{n}.html" for n in range(2, len(pages) + 1)]
    out = {}
    for k, ids in enumerate(pages):
        prev = names[k - 1] if k > 0 else None
        nxt = names[k + 1] if k + 1 < len(pages) else None
        out[names[k]] = html_page(ids, prev, nxt)
    return out


# ---------------------------------------------------------------------------
# Saved t.me/s/<channel> pages

WEB_HEAD = """<!DOCTYPE html>
<html>
<head><meta charset="utf-8"><title>Hostile Test – Telegram</title></head>
<body class="widget_frame_base tgme_webpreview_body">
<section class="tgme_channel_history js-message_history">
"""
WEB_TAIL = """</section>
</body>
</html>
"""


def web_post(i: int, text: str = None, datetime_: str = None, channel: str = "hostile", inner: str = None) -> str:
    """One `div.tgme_widget_message_wrap` as a 2023 t.me/s page has it."""
    text = f"web post {i}" if text is None else text
    dt = datetime_ if datetime_ is not None else when(i).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    view = base64.b64encode(json.dumps({"c": -1234567890, "p": i, "t": 1704067200 + i}).encode()).decode()
    body = inner if inner is not None else f'<div class="tgme_widget_message_text js-message_text" dir="auto">{text}</div>'
    return f"""<div class="tgme_widget_message_wrap js-widget_message_wrap">
<div class="tgme_widget_message text_not_supported_wrap js-widget_message" data-post="{channel}/{i}" data-view="{view}">
<div class="tgme_widget_message_bubble">
<div class="tgme_widget_message_author accent_color"><a class="tgme_widget_message_owner_name" href="https://t.me/{channel}"><span dir="auto">Hostile Test</span></a></div>
{body}
<div class="tgme_widget_message_footer compact js-message_footer">
<div class="tgme_widget_message_info short js-message_info">
<span class="tgme_widget_message_views">7</span><span class="copyonly"> views</span><span class="tgme_widget_message_meta"><a class="tgme_widget_message_date" href="https://t.me/{channel}/{i}"><time datetime="{dt}" class="time">{dt[11:16]}</time></a></span>
</div>
</div>
</div>
</div>
</div>
"""


def web_page(posts: list) -> str:
    return WEB_HEAD + "".join(web_post(p) if isinstance(p, int) else p for p in posts) + WEB_TAIL


# ---------------------------------------------------------------------------
# Plain-text dumps


def text_dump(n: int, owner: str = "Hostile Test") -> str:
    """A dump in the browser-copy flavour: owner line, body, views and time."""
    out = []
    for i in range(1, n + 1):
        t = when(i)
        out.append(f"{owner}\nText dump post number {i}, with a sentence or two.\n{i * 3} views {t:%H:%M}\n")
    return "\n".join(out)
