# ruff: noqa: E501  (HTML and CSS lines read better whole than wrapped)
"""The HTML of the public pages: small (a first load well under 100 KB on 2G), readable without JavaScript,
in the visitor's script (Noto or the phone's own fonts), large touch targets."""

from __future__ import annotations

STYLE = """<style>
body{font:17px/1.45 system-ui,"Noto Sans Thai","Noto Sans Lao","Noto Sans Khmer",sans-serif;margin:0;color:#1b1b1b}
main{max-width:34em;margin:auto;padding:.8em}h1{font-size:1.3em;margin:.2em 0 .4em;color:#0b5394}
nav a{margin-right:.8em}fieldset{border:0;padding:0;margin:.9em 0}legend,label.q{font-weight:700;display:block;margin-bottom:.3em}
label.o{display:block;padding:.45em .5em;border:1px solid #bbb;border-radius:6px;margin:.25em 0}
input[type=text],textarea{width:100%;box-sizing:border-box;font:inherit;padding:.45em;border:1px solid #888;border-radius:6px}
button{font:inherit;padding:.6em 1.1em;border-radius:6px;border:0;background:#0b5394;color:#fff;margin:.3em 0}
button.s{background:#eee;color:#1b1b1b;border:1px solid #999}.err{background:#fde8e8;border-left:4px solid #c00;padding:.5em}
.ok{background:#e7f5e9;border-left:4px solid #1a7f37;padding:.6em}.code{font-size:1.4em;font-weight:700;letter-spacing:.05em}
small{color:#555}
</style>"""

LANGUAGE_LINKS = """<nav aria-label="language">{% for l, name in [("th","ไทย"),("lo","ລາວ"),("km","ខ្មែរ"),("en","English")] %}
<a href="?lang={{ l }}" lang="{{ l }}"{% if l == lang %} aria-current="true"{% endif %}>{{ name }}</a>{% endfor %}</nav>"""

REPORT_PAGE = """<!doctype html>
<html lang="{{ lang }}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{{ t('web_title') }}</title><link rel="manifest" href="/manifest.webmanifest"><link rel="icon" href="/static/icon.svg"><meta name="theme-color" content="#0b5394">
""" + STYLE + """</head><body><main>
""" + LANGUAGE_LINKS + """
<h1>{{ t('web_title') }}</h1>
{% if receipt %}
<div class="ok" role="status"><p>{{ t('web_received', ticket=receipt[0], code=receipt[1]) }}</p>
<p class="code">{{ receipt[0] }} · {{ receipt[1] }}</p><p>{{ t('web_keep_code') }}</p></div>
<p><a href="/status?lang={{ lang }}">{{ t('web_status_title') }}</a> · <a href="/report?lang={{ lang }}">{{ t('web_new_report') }}</a></p>
{% else %}
<p>{{ t('web_intro') }}</p>
{% for e in form.errors %}<p class="err" role="alert">{{ e }}</p>{% endfor %}
<p id="leader" class="ok" hidden>{{ t('web_leader_mode') }}</p>
<div id="outbox" class="ok" role="status" hidden></div>
<form id="report" method="post" action="/report" enctype="multipart/form-data">
<input type="hidden" name="csrf_token" value="{{ token }}"><input type="hidden" name="lang" value="{{ lang }}">
<input type="hidden" name="client_id" value="{{ form.client_id }}">
<input type="hidden" name="lat" value="{{ form.lat }}"><input type="hidden" name="lon" value="{{ form.lon }}">
{% if form.place_ok %}<input type="hidden" name="place_ok" value="1">{% endif %}
<fieldset><legend>{{ t('web_category') }}</legend>
{% for value, label in categories %}<label class="o"><input type="radio" name="category" value="{{ value }}" required
{% if form.category == value %}checked{% endif %}> {{ label }}</label>{% endfor %}</fieldset>
<fieldset><label class="q" for="place">{{ t('web_place') }}</label>
<input type="text" id="place" name="place" value="{{ form.place }}" autocomplete="off" placeholder="{{ t('web_place_hint') }}">
<button type="button" class="s" id="locate" hidden>{{ t('web_use_location') }}</button> <small id="located"></small></fieldset>
<fieldset><legend>{{ t('web_when') }}</legend>
{% for value, label in whens %}<label class="o"><input type="radio" name="when" value="{{ value }}"
{% if form.when == value %}checked{% endif %}> {{ label }}</label>{% endfor %}</fieldset>
<fieldset><label class="q" for="details">{{ t('web_details') }}</label>
<textarea id="details" name="details" rows="4" maxlength="4000">{{ form.details }}</textarea></fieldset>
<fieldset><label class="q" for="photo">{{ t('web_photo') }}</label>
<input type="file" id="photo" name="photo" accept="image/jpeg,image/png,image/webp"></fieldset>
<button type="submit">{% if form.place_ok %}{{ t('web_send_anyway') }}{% else %}{{ t('web_send') }}{% endif %}</button>
</form>
<p><small>{{ t('web_privacy') }}</small></p>
<p><a href="/status?lang={{ lang }}">{{ t('web_status_title') }}</a></p>
<button type="button" class="s" id="clear" hidden>{{ t('web_clear_all') }}</button>
<script type="application/json" id="texts">{{ texts|safe }}</script>
<script src="/static/report.js" defer></script>
{% endif %}
</main></body></html>"""

STATUS_PAGE = """<!doctype html>
<html lang="{{ lang }}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{{ t('web_status_title') }}</title>""" + STYLE + """</head><body><main>
""" + LANGUAGE_LINKS + """
<h1>{{ t('web_status_title') }}</h1>
{% if answer %}<p class="{{ 'ok' if ok else 'err' }}" role="status">{{ answer }}</p>{% endif %}
<form method="post" action="/status">
<input type="hidden" name="csrf_token" value="{{ token }}"><input type="hidden" name="lang" value="{{ lang }}">
<fieldset><label class="q" for="ticket">{{ t('web_ticket') }}</label>
<input type="text" id="ticket" name="ticket" value="{{ ticket }}" inputmode="numeric" autocomplete="off" required></fieldset>
<fieldset><label class="q" for="code">{{ t('web_code') }}</label>
<input type="text" id="code" name="code" value="" autocomplete="off" autocapitalize="characters" required></fieldset>
<button type="submit">{{ t('web_check') }}</button></form>
<p><a href="/report?lang={{ lang }}">{{ t('web_title') }}</a></p>
</main></body></html>"""
