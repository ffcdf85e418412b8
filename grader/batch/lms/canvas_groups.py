"""Canvas group assignments: one hand-in per group, a grade for every member.

Part of Canvas's module (canvas.py reads the download; this reads a group set's export and
gives every member their group's result, for `export canvas|plain --groups`). How Canvas
behaves, from its own source (instructure/canvas-lms) and documentation:

- A member's hand-in is the group's: `Assignment#submit_homework` writes the same submission
  (same files) for every member of the submitter's group (app/models/assignment.rb).
- "Download Submissions" (`ContentZipper#zip_assignment`, lib/content_zipper.rb) takes
  `Assignment#representatives`: for an assignment graded as a group, one member per group
  stands for it (one with a submission; active enrolments first), renamed after the group. So
  the zip holds each group's files once, named `<group name>_[LATE_]<that member's user
  id>_<file id>_<file>` (the group's name lower-cased, spaces and punctuation dropped); which
  member's id appears is Canvas's pick, not necessarily whoever clicked Submit. With "Assign
  Grades to Each Student Individually" every member is listed under their own name instead,
  and the grading run already grades each of them: `--groups` is not needed then.
- Grades: `Assignment#grade_student` gives a score entered for one member to every member of
  the group unless the assignment grades members individually, and the gradebook CSV import
  goes through it (`Submission.process_bulk_update`). Filling every member's row with the same
  score makes the imported file agree with itself either way; different scores within one
  group would leave the result to the order Canvas processes the rows in.
- Feedback: "Re-Upload Submissions" (`Assignment#generate_comments_from_files`) reads the user
  and file ids from a name of the download's form and posts the file as a group comment to
  every member. So one file per group, under the name the download gave the group, reaches
  every member; a copy per member would post every member's copy to everyone.
- Membership: a group set's export, `GET /api/v1/group_categories/:id/export` ("export groups
  in and users in category", `GroupCategoriesController#export`; the People › Groups page
  offers it to instructors, though no source read here shows that page), writes one row
  per student of the course: `name, canvas_user_id, [user_id,] login_id, sections,
  group_name, [canvas_group_id, [group_id]]` (user_id and group_id only for those allowed to
  read SIS ids, canvas_group_id only once some group has members, `name` and `sections`
  translated), `group_name` empty for a student in no group. Its documented import format
  ("Group Category Import Format", doc/api/group_category_csv.md) names a user by
  canvas_user_id, user_id or login_id and a group by group_name, canvas_group_id or group_id,
  header first, UTF-8. Read here: those columns in any order, any others passed over.

Nothing here documents what happens when two members of one group have different hand-ins (it
can't come out of one Canvas download): the latest upload (highest Canvas file id) is used,
or, when the download carries no upload order, the highest score; either way it is said.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from . import sheet as sheets
from .grades import ExportError, Graded

USER_COLUMNS = ("canvas_user_id", "user_id", "login_id")
GROUP_COLUMNS = ("canvas_group_id", "group_id", "group_name")
# the gradebook column a grading run matched learners on -> the groups export's column
GRADEBOOK_TO_GROUPS = {"id": "canvas_user_id", "sis user id": "user_id",
                       "sis login id": "login_id"}
CANVAS_PREFIX_IDS = re.compile(r"_(\d+)_(\d+)_$")  # ..._<user id>_<file id>_


class GroupsError(Exception):
    """The groups file can't be used; one line saying why."""


class Handin(Protocol):
    total: float
    upload_prefix: str


@dataclass(frozen=True)
class Member:
    key: str  # the id the member is matched on (canvas_user_id unless asked otherwise)
    name: str
    group: str  # the group's name, as the instructor knows it
    group_key: str  # what tells groups apart (canvas_group_id when the file has it)


@dataclass
class Groups:
    path: Path
    id_column: str
    members: dict[str, Member]  # only those in a group
    groups: dict[str, list[str]]  # group key -> member keys, in the file's order
    names: dict[str, str]  # group key -> its name
    outside: int = 0  # rows of students in no group


@dataclass
class Choice:
    group: str
    used: str  # the learner whose hand-in is the group's
    others: list[str]  # other members who handed in too, not used
    why: str


@dataclass
class Shared:
    """Who takes whose score: every member of a group that handed in takes the group's."""

    source: dict[str, str] = field(default_factory=dict)  # member -> learner graded
    group_of: dict[str, str] = field(default_factory=dict)  # member -> group name
    name_of: dict[str, str] = field(default_factory=dict)  # member -> name in the groups file
    choices: list[Choice] = field(default_factory=list)  # groups where several handed in
    empty: list[str] = field(default_factory=list)  # "Group (members...)" with no hand-in
    used: set[str] = field(default_factory=set)  # learners whose hand-in stands for a group


def groups_column(id_column: str) -> str:
    """The groups export's column holding the ids the grading run's learners carry."""
    return GRADEBOOK_TO_GROUPS.get(id_column.strip().casefold(), id_column.strip())


def read_groups(path: Path, id_column: str = "canvas_user_id") -> Groups:
    """A group set's export, in its own separator (as re-saved by a spreadsheet, say)."""
    if not path.is_file():
        raise GroupsError(f"can't read the groups CSV {path}: no such file")
    try:
        book = sheets.read(path, "the group set from Canvas (People › Groups)")
    except sheets.SheetError as err:
        raise GroupsError(str(err)) from err
    rows = [r for r in book.rows if any(c.strip() for c in r)]
    header = [h.strip().casefold() for h in rows[0]]
    wanted = id_column.casefold()
    if wanted not in header:
        raise GroupsError(
            f"{path} has no {id_column!r} column, which holds the ids the hand-ins carried; "
            "is it Canvas's group set export (People › Groups)? its columns: "
            + ", ".join(repr(h) for h in rows[0][:10]))
    id_at = header.index(wanted)
    group_at = {c: header.index(c) for c in GROUP_COLUMNS if c in header}
    if not group_at:
        raise GroupsError(f"{path} has none of the columns {', '.join(GROUP_COLUMNS)}, so it "
                          "can't tell groups apart; export the group set from Canvas")
    known = set(USER_COLUMNS) | set(GROUP_COLUMNS) | {"sections"}
    # Canvas translates its "name" heading; it is always the first column of its export
    name_at = header.index("name") if "name" in header else (
        0 if header[0] not in known else None)

    groups = Groups(path, id_column, {}, {}, {})
    for number, row in enumerate(rows[1:], start=2):
        row = row + [""] * (len(header) - len(row))
        key = row[id_at].strip()
        if not key:
            continue
        ids = {c: row[i].strip() for c, i in group_at.items()}
        group_key = next((f"{c}:{ids[c]}" for c in GROUP_COLUMNS if ids.get(c)), "")
        if not group_key:
            groups.outside += 1
            continue
        name = ids.get("group_name") or ids.get("group_id") or ids.get("canvas_group_id") or ""
        if key in groups.members and groups.members[key].group_key != group_key:
            raise GroupsError(
                f"{path}, row {number}: {id_column} {key} is in two groups "
                f"({groups.members[key].group!r} and {name!r}); export one group set only")
        if key in groups.members:
            continue
        person = row[name_at].strip() if name_at is not None else ""
        groups.members[key] = Member(key, person, name, group_key)
        groups.groups.setdefault(group_key, []).append(key)
        groups.names[group_key] = name
    if not groups.members:
        raise GroupsError(f"{path} places nobody in a group (its group_name column is empty); "
                          "export the group set the assignment uses")
    return groups


def _file_id(handin: Handin) -> int | None:
    found = CANVAS_PREFIX_IDS.search(handin.upload_prefix or "")
    return int(found.group(2)) if found else None


def _choose(keys: list[str], results: dict[str, Handin]) -> tuple[str, str]:
    ids = {k: _file_id(results[k]) for k in keys}
    if all(v is not None for v in ids.values()):
        return max(keys, key=lambda k: (ids[k], k)), "the latest upload (highest Canvas file id)"
    return (max(keys, key=lambda k: (results[k].total, k)),
            "the highest score (this download says nothing of upload order)")


def share(groups: Groups, results: dict[str, Handin]) -> Shared:
    """Each member of a group with a graded hand-in takes that hand-in's result; learners in
    no group keep their own (they are not in `source`)."""
    shared = Shared()
    for group_key, members in groups.groups.items():
        name = groups.names[group_key]
        handed_in = [k for k in members if k in results]
        if not handed_in:
            shared.empty.append(f"{name} ({', '.join(members)})")
            continue
        used, why = _choose(handed_in, results) if len(handed_in) > 1 else (handed_in[0], "")
        if len(handed_in) > 1:
            shared.choices.append(Choice(name, used, sorted(k for k in handed_in if k != used),
                                         why))
        shared.used.add(used)
        for member in members:
            shared.source[member] = used
            shared.group_of[member] = name
            shared.name_of[member] = groups.members[member].name
    return shared


def with_groups(results: dict[str, Graded], path: Path,
                id_column: str) -> tuple[dict[str, Graded], Shared]:
    """Every member of a group that handed in, with the group's result (under their own id and
    name); graded learners in no group as they were. Members of groups with no hand-in are
    left out (their rows stay as they were), and listed in the Shared."""
    try:
        shared = share(read_groups(path, groups_column(id_column)), results)
    except GroupsError as err:
        raise ExportError(str(err)) from err
    members: dict[str, Graded] = {}
    for member, learner in shared.source.items():
        graded = results[learner]
        members[member] = Graded(member, shared.name_of[member] or graded.name, graded.total,
                                 graded.max_total, graded.late, graded.upload_prefix)
    alone = {k: g for k, g in results.items() if k not in shared.source}
    return alone | members, shared
