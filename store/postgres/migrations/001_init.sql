-- studybot schema 1. Ids compare byte-wise (COLLATE "C"), as in the bbolt
-- store, so scans and claims come in the same order on both backends.

-- spaces: a space's settings (bot.SpaceRecord) as JSON: a handful of small
-- fields read whole by every command. next_challenge numbers its challenges.
CREATE TABLE spaces (
    space          text COLLATE "C" PRIMARY KEY,   -- "platform:id"
    platform       text COLLATE "C" NOT NULL,
    record         jsonb,                           -- NULL until settings are stored
    next_challenge bigint NOT NULL DEFAULT 0
);

-- members: one row per member of a space; their marks are in topic_marks.
CREATE TABLE members (
    space           text COLLATE "C" NOT NULL,
    member          text COLLATE "C" NOT NULL,
    name            text NOT NULL DEFAULT '',
    created         timestamptz NOT NULL,
    seen            timestamptz,
    follow          text NOT NULL DEFAULT '',
    nudge_on        boolean NOT NULL DEFAULT false,
    nudge_hour      integer NOT NULL DEFAULT 0,
    nudge_minute    integer NOT NULL DEFAULT 0,
    nudge_zone      text NOT NULL DEFAULT '',
    nudge_last_date text NOT NULL DEFAULT '',
    streak_days     integer NOT NULL DEFAULT 0,
    streak_best     integer NOT NULL DEFAULT 0,
    streak_last     text NOT NULL DEFAULT '',
    dm_closed       boolean NOT NULL DEFAULT false,
    profile_zone    text NOT NULL DEFAULT '',
    hidden          boolean NOT NULL DEFAULT false,
    buddy           boolean NOT NULL DEFAULT false,
    history         jsonb NOT NULL DEFAULT '[]',  -- []bot.Change, newest last
    tracks          jsonb NOT NULL DEFAULT '{}',  -- roadmap -> picks and reviews (marks: topic_marks)
    PRIMARY KEY (space, member)
);

-- topic_marks: a member's status and note on one topic of one roadmap.
CREATE TABLE topic_marks (
    space   text COLLATE "C" NOT NULL,
    member  text COLLATE "C" NOT NULL,
    roadmap text COLLATE "C" NOT NULL,
    topic   text COLLATE "C" NOT NULL,
    status  text NOT NULL DEFAULT '',
    started timestamptz,
    at      timestamptz,
    note    text NOT NULL DEFAULT '',
    PRIMARY KEY (space, member, roadmap, topic),
    FOREIGN KEY (space, member) REFERENCES members ON DELETE CASCADE
);

-- nudges: the nudge schedule, one row per member whose nudge is on. Members
-- with the same (hour, minute, zone) share a slot (the nudge_slots view); each
-- row carries its own due instant so that several processes can claim rows
-- of one slot at once (FOR UPDATE SKIP LOCKED).
CREATE TABLE nudges (
    space     text COLLATE "C" NOT NULL,
    member    text COLLATE "C" NOT NULL,
    platform  text COLLATE "C" NOT NULL,
    hour      integer NOT NULL,
    minute    integer NOT NULL,
    zone      text COLLATE "C" NOT NULL,
    dm_closed boolean NOT NULL DEFAULT false,
    last_date text NOT NULL DEFAULT '',
    due_at    timestamptz,                      -- NULL: not scheduled
    PRIMARY KEY (space, member),
    FOREIGN KEY (space, member) REFERENCES members ON DELETE CASCADE
);
CREATE INDEX nudges_due ON nudges (due_at) WHERE due_at IS NOT NULL;
-- A process serving some platforms claims through this one (DueFilter), so
-- another platform's backlog is never scanned.
CREATE INDEX nudges_platform_due ON nudges (platform, due_at) WHERE due_at IS NOT NULL;
CREATE INDEX nudges_slot ON nudges (hour, minute, zone);

CREATE VIEW nudge_slots AS
    SELECT hour, minute, zone, count(*) AS members, min(due_at) AS next_due
    FROM nudges GROUP BY hour, minute, zone;

-- challenges and their submissions.
CREATE TABLE challenges (
    space        text COLLATE "C" NOT NULL,
    id           bigint NOT NULL,
    roadmap      text NOT NULL DEFAULT '',
    topic        text NOT NULL DEFAULT '',
    text         text NOT NULL DEFAULT '',
    channel      text NOT NULL DEFAULT '',
    posted_by    text NOT NULL DEFAULT '',
    posted_at    timestamptz NOT NULL,
    scheduled_at timestamptz,
    closes_at    timestamptz,
    zone         text NOT NULL DEFAULT '',
    closed_at    timestamptz,
    PRIMARY KEY (space, id)
);
-- At most one challenge per space and scheduled instant, whichever process
-- posts it.
CREATE UNIQUE INDEX challenges_scheduled ON challenges (space, scheduled_at) WHERE scheduled_at IS NOT NULL;

CREATE TABLE submissions (
    space     text COLLATE "C" NOT NULL,
    challenge bigint NOT NULL,
    member    text COLLATE "C" NOT NULL,
    name      text NOT NULL DEFAULT '',
    text      text NOT NULL DEFAULT '',
    at        timestamptz,
    PRIMARY KEY (space, challenge, member),
    FOREIGN KEY (space, challenge) REFERENCES challenges ON DELETE CASCADE
);
CREATE INDEX submissions_member ON submissions (space, member);

-- roadmaps moderators added, and uploads waiting to be applied.
CREATE TABLE roadmap_files (
    space    text COLLATE "C" NOT NULL,
    id       text COLLATE "C" NOT NULL,
    title    text NOT NULL DEFAULT '',
    toml     text NOT NULL,
    added_by text NOT NULL DEFAULT '',
    added_at timestamptz,
    PRIMARY KEY (space, id)
);

CREATE TABLE pending_roadmaps (
    space  text COLLATE "C" NOT NULL,
    member text COLLATE "C" NOT NULL,
    file   jsonb NOT NULL,                     -- bot.RoadmapFile
    PRIMARY KEY (space, member)
);

-- Discord DM channel ids, and platform deliveries already handled.
CREATE TABLE dm_channels (
    space   text COLLATE "C" NOT NULL,
    member  text COLLATE "C" NOT NULL,
    channel text NOT NULL,
    PRIMARY KEY (space, member)
);

CREATE TABLE deliveries (
    key text COLLATE "C" PRIMARY KEY,
    at  timestamptz NOT NULL
);
CREATE INDEX deliveries_at ON deliveries (at);

-- meta: small keyed values (the built-in roadmap's topics as last seen).
CREATE TABLE meta (
    key   text PRIMARY KEY,
    value jsonb NOT NULL
);
