"""`playlist`: list, show, create, rename, delete, add, remove, move, export (M3U8) and smart playlists
(`playlist smart create NAME --rule "tempo between 90 120"`, `playlist smart from-search "calm piano"`)."""

from __future__ import annotations

import argparse
from typing import Any

from core.cli.output import emit, open_library
from core.errors import UserError, plain_error
from core.library import RULE_FIELDS, RULE_SORTS, Library, SmartRules, parse_rule
from core.models import PlaylistInfo


def playlist_dict(pl: PlaylistInfo) -> dict[str, Any]:
    """The JSON shape of one playlist."""
    out: dict[str, Any] = {"id": pl.id, "name": pl.name, "source": pl.source, "smart": pl.smart}
    if pl.smart:
        out["rules"], out["summary"] = pl.rules, pl.summary
    else:
        out["size"] = pl.size
    return out


def _human_list(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "No playlists yet: `encore playlist create NAME`, or `encore playlist smart from-search \"...\"`."
    return "\n".join(f"#{r['id']:<4} {r['name']}  " + (f"(smart: {r['summary']})" if r["smart"] else
                                                      f"({r['size']} item{'s' if r['size'] != 1 else ''})")
                     for r in rows)


def _cmd_list(args: argparse.Namespace) -> int:
    emit(args, [playlist_dict(p) for p in open_library(args).playlists()], _human_list)
    return 0


def _cmd_show(args: argparse.Namespace) -> int:
    lib = open_library(args)
    pl = lib.playlist(args.playlist)
    items = lib.playlist_items(pl.id)
    data = {**playlist_dict(pl), "items": [{"position": n, "id": it.id, "title": it.title, "artist": it.artist,
                                            "kind": it.kind, "duration": it.duration, "path": it.path}
                                           for n, it in enumerate(items, 1)]}

    def human(d: dict[str, Any]) -> str:
        head = f"#{d['id']} {d['name']}: " + (f"smart, {d['summary']}" if d["smart"] else f"{len(d['items'])} items")
        lines = [head]
        for it in d["items"][:args.limit] if args.limit else d["items"]:
            who = f" — {it['artist']}" if it["artist"] else ""
            lines.append(f"{it['position']:>4}. #{it['id']} {it['title']}{who}")
        if args.limit and len(d["items"]) > args.limit:
            lines.append(f"      ... and {len(d['items']) - args.limit} more (--limit 0 shows all)")
        if not d["items"]:
            lines.append("      (empty" + (": nothing in the library matches these rules yet)" if d["smart"] else ")"))
        return "\n".join(lines)

    emit(args, data, human)
    return 0


def _item_ids(lib: Library, refs: list[str]) -> list[int]:
    """Item ids from ids or file paths (ItemNotFound names one that is not in the library)."""
    return [lib.item(int(r) if r.strip().isdigit() else r).id for r in refs]


def _cmd_create(args: argparse.Namespace) -> int:
    lib = open_library(args)
    pid = lib.create_playlist(args.name, _item_ids(lib, args.items))
    pl = lib.playlist(pid)
    emit(args, playlist_dict(pl), f"Made playlist #{pl.id} “{pl.name}” ({pl.size} items).")
    return 0


def _cmd_rename(args: argparse.Namespace) -> int:
    lib = open_library(args)
    pl = lib.playlist(args.playlist)
    lib.rename_playlist(pl.id, args.name)
    new = lib.playlist(pl.id)
    emit(args, playlist_dict(new), f"Renamed #{pl.id} “{pl.name}” to “{new.name}”.")
    return 0


def _cmd_delete(args: argparse.Namespace) -> int:
    lib = open_library(args)
    pl = lib.playlist(args.playlist)
    lib.delete_playlist(pl.id)
    emit(args, {"deleted": pl.id, "name": pl.name}, f"Deleted playlist #{pl.id} “{pl.name}” (its items stay).")
    return 0


def _cmd_add(args: argparse.Namespace) -> int:
    lib = open_library(args)
    pl = lib.playlist(args.playlist)
    ids = _item_ids(lib, args.items)
    dupes = lib.playlist_duplicates(pl.id, ids)
    if dupes and not (args.skip_duplicates or args.allow_duplicates):
        raise UserError(f"{len(dupes)} of these {'is' if len(dupes) == 1 else 'are'} in “{pl.name}” already "
                        f"(#{', #'.join(map(str, dupes[:10]))}): add --skip-duplicates to leave them out, or "
                        "--allow-duplicates to add them anyway")
    at = args.at - 1 if args.at else None
    if at is not None and at < 0:
        raise UserError(f"--at is a position from 1, not {args.at}")
    report = lib.add_to_playlist(pl.id, ids, at=at, skip_duplicates=args.skip_duplicates)
    emit(args, {"playlist": pl.id, **report},
         f"Added {report['added']} to “{pl.name}”" + (f" ({report['skipped']} already there, left out)."
                                                     if report["skipped"] else "."))
    return 0


def _positions(values: list[int]) -> list[int]:
    if any(v < 1 for v in values):
        raise UserError("positions count from 1 (as `encore playlist show` lists them)")
    return [v - 1 for v in values]


def _cmd_remove(args: argparse.Namespace) -> int:
    lib = open_library(args)
    pl = lib.playlist(args.playlist)
    n = lib.remove_from_playlist(pl.id, _positions(args.positions))
    emit(args, {"playlist": pl.id, "removed": n}, f"Removed {n} from “{pl.name}”.")
    return 0


def _cmd_move(args: argparse.Namespace) -> int:
    lib = open_library(args)
    pl = lib.playlist(args.playlist)
    if args.to < 1:
        raise UserError(f"--to is a position from 1, not {args.to}")
    moved = lib.move_in_playlist(pl.id, _positions(args.positions), args.to - 1)
    emit(args, {"playlist": pl.id, "positions": [p + 1 for p in moved]},
         f"Moved {len(moved)} in “{pl.name}”" + (f": now at {moved[0] + 1}." if moved else "."))
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    lib = open_library(args)
    pl = lib.playlist(args.playlist)
    try:
        report = lib.export_playlist(pl.id, args.m3u8, relative=args.relative)
    except (FileNotFoundError, UserError):
        raise
    except OSError as exc:
        raise UserError(plain_error(exc, f"write {args.m3u8}")) from exc
    left = report["left_out"]
    emit(args, {"playlist": pl.id, **report},
         f"Wrote {report['entries']} entries of “{pl.name}” to {report['path']}"
         + (f" ({'relative' if args.relative else 'absolute'} paths)")
         + (f"; left out {len(left)} whose path holds a line break." if left else "."))
    return 0


def _rules(args: argparse.Namespace) -> SmartRules:
    return SmartRules(rules=tuple(parse_rule(r) for r in args.rule or []), match="any" if args.any else "all",
                      sort=args.sort, descending=args.descending, limit=args.limit)


def _cmd_smart_create(args: argparse.Namespace) -> int:
    lib = open_library(args)
    pid = lib.create_smart_playlist(args.name, _rules(args))
    pl = lib.playlist(pid)
    n = len(lib.playlist_item_ids(pid))
    emit(args, {**playlist_dict(pl), "matches": n},
         f"Made smart playlist #{pl.id} “{pl.name}”: {pl.summary} ({_items(n)} now).")
    return 0


def _cmd_smart_edit(args: argparse.Namespace) -> int:
    lib = open_library(args)
    pl = lib.playlist(args.playlist)
    lib.set_smart_rules(pl.id, _rules(args))
    pl = lib.playlist(pl.id)
    n = len(lib.playlist_item_ids(pl.id))
    emit(args, {**playlist_dict(pl), "matches": n}, f"“{pl.name}” now: {pl.summary} ({_items(n)}).")
    return 0


def _cmd_smart_from_search(args: argparse.Namespace) -> int:
    lib = open_library(args)
    if args.dry_run:
        rules = lib.smart_rules_from_search(args.query)
        n = len(lib.evaluate_rules(rules))
        emit(args, {"rules": rules.to_dict(), "summary": lib.describe_rules(rules), "matches": n},
             f"“{args.query}” as rules: {lib.describe_rules(rules)} ({_items(n)} now). Nothing was saved."
             + (f" Words no item has, left out: {', '.join(rules.extra['ignored_words'])}."
                if rules.extra.get("ignored_words") else ""))
        return 0
    pid = lib.smart_playlist_from_search(args.query, playlist_name=args.name)
    pl = lib.playlist(pid)
    n = len(lib.playlist_item_ids(pid))
    emit(args, {**playlist_dict(pl), "matches": n},
         f"Made smart playlist #{pl.id} “{pl.name}”: {pl.summary} ({_items(n)} now). Change its rules with "
         f"`encore playlist smart edit {pl.id} --rule ...`.")
    return 0


RULE_HELP = ("a rule 'FIELD OP VALUE' (repeatable), e.g. 'tempo between 90 120', 'genre contains jazz', "
             "'kind is audio', 'length at_most 4:00', 'last_played not_within_days 30', 'rating is liked'. "
             "Fields: " + "; ".join(f"{name} ({', '.join(spec.ops)})" for name, spec in RULE_FIELDS.items()))


def _rule_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--rule", action="append", metavar="'FIELD OP VALUE'", help=RULE_HELP)
    p.add_argument("--any", action="store_true", help="match any rule (default: all of them)")
    p.add_argument("--sort", default="artist", choices=list(RULE_SORTS))
    p.add_argument("--descending", action="store_true")
    p.add_argument("--limit", type=int, help="at most this many items")


def _items(n: int) -> str:
    return f"{n:,} item{'s' if n != 1 else ''}"


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 0


def register(add) -> None:
    """Add `playlist` and its subcommands."""
    top: argparse.ArgumentParser = add("playlist", lambda a: _help(top),
                                       "make, change, export playlists and smart playlists")
    sub = top.add_subparsers(dest="playlist_command", metavar="ACTION")

    def action(name: str, handler, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text)
        p.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="machine-readable output")
        p.set_defaults(handler=handler)
        return p

    action("list", _cmd_list, "your playlists")
    p = action("show", _cmd_show, "the items of a playlist (a smart one is evaluated now)")
    p.add_argument("playlist", help="its number or name")
    p.add_argument("--limit", type=int, default=100, help="list at most this many (0: all)")
    p = action("create", _cmd_create, "a new playlist, optionally with items")
    p.add_argument("name")
    p.add_argument("items", nargs="*", help="item ids or file paths")
    p = action("rename", _cmd_rename, "give a playlist another name")
    p.add_argument("playlist")
    p.add_argument("name")
    p = action("delete", _cmd_delete, "delete a playlist (its items stay in the library)")
    p.add_argument("playlist")
    p = action("add", _cmd_add, "add items (asks nothing: duplicates need --skip-duplicates or --allow-duplicates)")
    p.add_argument("playlist")
    p.add_argument("items", nargs="+", help="item ids or file paths")
    p.add_argument("--at", type=int, help="insert at this position (from 1; default the end)")
    dup = p.add_mutually_exclusive_group()
    dup.add_argument("--skip-duplicates", action="store_true", help="leave out items already in the playlist")
    dup.add_argument("--allow-duplicates", action="store_true", help="add them again anyway")
    p = action("remove", _cmd_remove, "remove entries by position (from 1)")
    p.add_argument("playlist")
    p.add_argument("positions", nargs="+", type=int)
    p = action("move", _cmd_move, "move entries (by position, from 1) to before another position")
    p.add_argument("playlist")
    p.add_argument("positions", nargs="+", type=int)
    p.add_argument("--to", type=int, required=True, help="the position they go to (past the end: last)")
    p = action("export", _cmd_export, "write the playlist as an M3U8 file")
    p.add_argument("playlist")
    p.add_argument("--m3u8", required=True, metavar="FILE", help="the .m3u8 file to write")
    p.add_argument("--relative", action="store_true", help="paths relative to the file's folder (portable)")

    smart: argparse.ArgumentParser = action("smart", lambda a: _help(smart),
                                            "smart playlists: rules that stay live")
    smart_sub = smart.add_subparsers(dest="smart_command", metavar="ACTION")
    for name, handler, help_text in (("create", _cmd_smart_create, "a smart playlist from rules"),
                                     ("edit", _cmd_smart_edit, "replace a smart playlist's rules"),
                                     ("from-search", _cmd_smart_from_search,
                                      "a smart playlist from what a search asks for (its rules stay editable)")):
        p = smart_sub.add_parser(name, help=help_text)
        p.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="machine-readable output")
        p.set_defaults(handler=handler)
        if name == "create":
            p.add_argument("name")
            _rule_options(p)
        elif name == "edit":
            p.add_argument("playlist")
            _rule_options(p)
        else:
            p.add_argument("query")
            p.add_argument("--name", help="default: the search itself")
            p.add_argument("--dry-run", action="store_true", help="show the rules and how many match; save nothing")


__all__ = ["playlist_dict", "register"]
