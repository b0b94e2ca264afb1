#!/usr/bin/env python3
"""Writes chat_corpus.jsonl: 2,000 JSON chat events of 50 B to 2 KiB, one per
line, as an instant-messaging server sends them (messages, typing, presence,
receipts, reactions, edits, messages with attachments and link previews).
Deterministic (seeded); run it from this folder to regenerate the file."""
import json
import random

rng = random.Random(15)

FIRST = ["Alice", "Bob", "Chloé", "Dmitri", "Emeka", "Fatima", "Giulia", "Hiro", "Ines", "Jonas", "Kwame",
         "Leila", "Mateo", "Nadia", "Oskar", "Priya", "Quentin", "Rosa", "Sven", "Tariq", "Uma", "Viktor",
         "Wen", "Xavier", "Yara", "Zoe"]
LAST = ["Martin", "Nguyen", "Okafor", "Schmidt", "García", "Kowalski", "Tanaka", "Haddad", "Silva", "Novak",
        "Larsen", "Rossi", "Dubois", "Kim", "Ivanova", "Mensah"]
ROOMS = ["general", "random", "eng-backend", "eng-frontend", "design", "support", "sales-emea", "ops-oncall",
         "product", "standup"]
WORDS = ("the a to and of I you it is that for on we this be with have are not can just do so what will"
         " at but if or was my get about up out there when deploy build release ticket meeting lunch review"
         " PR branch merge test flaky fixed broken staging prod logs alert dashboard customer invoice call"
         " tomorrow today later thanks sure ok yes no maybe great sounds good let me check looks like"
         " working on it see you in minutes hours link doc slides notes agenda budget numbers quarter team"
         " please could someone help with error timeout retry cache database migration rollback hotfix").split()
EMOJI = ["👍", "😂", "🎉", "❤️", "👀", "🙏", "🔥", "✅"]
EXT = ["png", "jpg", "pdf", "mp4", "zip", "docx"]
B32 = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def ulid():
    return "".join(rng.choice(B32) for _ in range(26))


def user():
    uid = rng.randrange(10000, 99999)
    return {"id": f"u_{uid}", "name": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
            "avatar": f"https://cdn.example.com/avatars/{uid}.png"}


def sentence(min_words, max_words):
    words = [rng.choice(WORDS) for _ in range(rng.randint(min_words, max_words))]
    text = " ".join(words).capitalize()
    return text + rng.choice([".", "!", "?", "", " " + rng.choice(EMOJI)])


ts = 1733480000000


def now():
    global ts
    ts += rng.randrange(200, 60000)
    return ts


def message():
    n = rng.choice([1, 1, 1, 1, 2, 2, 3, 5])
    text = " ".join(sentence(2, 14) for _ in range(n))
    event = {"type": "message", "id": ulid(), "room": rng.choice(ROOMS), "from": user(), "ts": now(),
             "text": text}
    if rng.random() < 0.2:
        event["reply_to"] = ulid()
    if rng.random() < 0.15:
        event["mentions"] = [user()["id"] for _ in range(rng.randint(1, 3))]
    return event


def attachment_message():
    event = message()
    event["attachments"] = [
        {"id": ulid(), "name": f"{rng.choice(WORDS)}-{rng.randrange(1000)}.{ext}", "size": rng.randrange(1000, 9000000),
         "mime": {"png": "image/png", "jpg": "image/jpeg", "pdf": "application/pdf", "mp4": "video/mp4",
                  "zip": "application/zip", "docx": "application/vnd.openxmlformats-officedocument"
                  ".wordprocessingml.document"}[ext],
         "url": f"https://files.example.com/{ulid()}/{ulid()}", "width": rng.randrange(200, 4000),
         "height": rng.randrange(200, 4000)}
        for ext in (rng.choice(EXT) for _ in range(rng.randint(1, 4)))]
    return event


def link_preview():
    event = message()
    event["preview"] = {"url": f"https://news.example.org/{rng.randrange(2020, 2026)}/{ulid().lower()}",
                        "title": sentence(4, 10), "description": " ".join(sentence(8, 20) for _ in range(2)),
                        "image": f"https://news.example.org/img/{ulid().lower()}.jpg"}
    return event


def typing():
    return {"type": "typing", "room": rng.choice(ROOMS), "user": f"u_{rng.randrange(10000, 99999)}"}


def presence():
    return {"type": "presence", "user": user(), "status": rng.choice(["online", "away", "offline", "dnd"]),
            "ts": now()}


def receipt():
    return {"type": "read", "room": rng.choice(ROOMS), "user": f"u_{rng.randrange(10000, 99999)}",
            "up_to": ulid(), "ts": now()}


def reaction():
    return {"type": "reaction", "room": rng.choice(ROOMS), "message": ulid(), "user": user(),
            "emoji": rng.choice(EMOJI), "ts": now()}


def edit():
    return {"type": "edit", "room": rng.choice(ROOMS), "message": ulid(), "text": sentence(3, 30), "ts": now()}


KINDS = [(message, 50), (typing, 12), (receipt, 10), (reaction, 8), (presence, 7), (edit, 5),
         (attachment_message, 5), (link_preview, 3)]

with open("chat_corpus.jsonl", "w", encoding="utf-8") as out:
    written = 0
    while written < 2000:
        make = rng.choices([k for k, _ in KINDS], weights=[w for _, w in KINDS])[0]
        line = json.dumps(make(), ensure_ascii=False, separators=(",", ":"))
        if 50 <= len(line.encode()) <= 2048:
            out.write(line + "\n")
            written += 1
