package bot

// commandTable declares every command once. Discord registration and
// autocomplete, Slack's text parsing, the console and help all read it; adding a
// command is one entry here and one handler. It is built in init and never
// written after: adapters and the engine read it from many goroutines.
var commandTable []*Command

func init() {
	periodOpt := Opt{Name: "period", Kind: KindChoice, Choices: []string{"week", "month", "all"},
		Help: "week (last 7 days), month (last 30 days) or all (the default)"}
	topicReq := Opt{Name: "topic", Kind: KindTopic, Required: true, Help: "topic id, title or words from it", Rest: true}
	commandTable = []*Command{
		{Name: "help", Help: "Show what I can do, or how to use one command.",
			Options: []Opt{{Name: "command", Kind: KindText, Help: "a command name", Rest: true}}, run: (*Engine).cmdHelp},
		{Name: "next", Touch: TouchInHandler, Help: "What should I study next?", run: (*Engine).cmdNext},
		{Name: "start", Touch: TouchInHandler, Help: "Mark a topic as the one you are learning.", Options: []Opt{topicReq}, run: (*Engine).cmdStart},
		{Name: "done", Touch: TouchInHandler, Help: "Mark a topic done (default: the one you are learning, else your next).",
			Options: []Opt{{Name: "topic", Kind: KindTopic, Help: "topic id, title or words from it", Rest: true}}, run: (*Engine).cmdDone},
		{Name: "skip", Touch: TouchInHandler, Help: "Skip a topic you already know or do not need.", Options: []Opt{topicReq}, run: (*Engine).cmdSkip},
		{Name: "undo", Touch: TouchInHandler, Help: "Undo your last change.", run: (*Engine).cmdUndo},
		{Name: "progress", Touch: TouchInHandler, Help: "Your progress, overall and per section.", run: (*Engine).cmdProgress},
		{Name: "card", Touch: TouchInHandler, Help: "Share your progress as a picture in this channel.", run: (*Engine).cmdCard},
		{Name: "roadmap show", Default: true, Touch: TouchInHandler, Help: "The roadmap you follow, with your marks, or one section of it.",
			Options: []Opt{{Name: "section", Kind: KindSection, Help: "a section id or title, such as internet"}}, run: (*Engine).cmdRoadmap},
		{Name: "roadmap list", Touch: TouchInHandler, Help: "This group's roadmaps, with your progress on each.", run: (*Engine).cmdRoadmapList},
		{Name: "roadmap follow", Touch: TouchInHandler, Help: "Follow another of this group's roadmaps; your progress on each is kept.",
			Options: []Opt{{Name: "roadmap", Kind: KindRoadmap, Required: true, Help: "a roadmap id, such as backend"}}, run: (*Engine).cmdRoadmapFollow},
		{Name: "topic", Touch: TouchInHandler, Help: "A topic's summary, resources, your status and note.", Options: []Opt{topicReq}, run: (*Engine).cmdTopic},
		{Name: "pick", Touch: TouchInHandler, Help: "Choose your track: pick language python, pick framework django...",
			Options: []Opt{
				{Name: "group", Kind: KindPick, Required: true, Help: "a pick group of your roadmap, such as language"},
				{Name: "option", Kind: KindOption, Required: true, Help: "the option, such as python"},
			}, run: (*Engine).cmdPick},
		{Name: "note", Touch: TouchInHandler, Help: "Keep a private note on a topic.",
			Options: []Opt{
				{Name: "topic", Kind: KindTopic, Required: true, Help: "topic id, title or words (quote several words)"},
				{Name: "text", Kind: KindText, Required: true, Help: "your note; \"-\" clears it", Rest: true},
			}, run: (*Engine).cmdNote},
		{Name: "streak", Touch: TouchInHandler, Help: "Your streak of study days.", run: (*Engine).cmdStreak},
		{Name: "leaderboard show", Default: true, Help: "Where everyone in this group is, and your own rank (only you see it).",
			Options: []Opt{periodOpt}, run: (*Engine).cmdLeaderboard},
		{Name: "leaderboard share", Help: "Post the leaderboard to this channel.", Options: []Opt{periodOpt}, run: (*Engine).cmdLeaderboardShare},
		{Name: "leaderboard hide", Touch: TouchInHandler, Help: "Take yourself off the leaderboard; your progress is kept.", run: (*Engine).cmdLeaderboardHide},
		{Name: "leaderboard unhide", Touch: TouchInHandler, Help: "Show yourself on the leaderboard again.", run: (*Engine).cmdLeaderboardUnhide},
		{Name: "group", Help: "The group on its default roadmap: sections, median progress, this week, pace, next challenge.", run: (*Engine).cmdGroup},
		{Name: "buddy find", Default: true, Touch: TouchInHandler, Help: "Find up to 3 study buddies on your topic, or who finished it recently.", run: (*Engine).cmdBuddyFind},
		{Name: "buddy on", Touch: TouchInHandler, Help: "Let others find you with buddy find, and show your name in group.", run: (*Engine).cmdBuddyOn},
		{Name: "buddy off", Touch: TouchInHandler, Help: "Stop others finding you; group counts you without your name.", run: (*Engine).cmdBuddyOff},
		{Name: "nudge status", Help: "When your next nudge comes.", run: (*Engine).cmdNudgeStatus},
		{Name: "nudge at", Touch: TouchInHandler, Help: "Get a daily nudge at a local time: nudge at 08:30 Europe/Berlin.",
			Options: []Opt{
				{Name: "time", Kind: KindTime, Required: true, Help: "HH:MM, 24-hour"},
				{Name: "zone", Kind: KindZone, Help: "IANA time zone such as Europe/Berlin"},
			}, run: (*Engine).cmdNudgeAt},
		{Name: "nudge zone", Touch: TouchInHandler, Help: "Set your time zone (for streak days and your nudge) without a nudge: nudge zone Europe/Berlin.",
			Options: []Opt{{Name: "zone", Kind: KindZone, Required: true, Help: "IANA time zone such as Europe/Berlin"}}, run: (*Engine).cmdNudgeZone},
		{Name: "nudge off", Touch: TouchInHandler, Help: "Stop your daily nudge.", run: (*Engine).cmdNudgeOff},
		{Name: "challenge board", Help: "A challenge's submissions: the open one, or challenge board 3 for #3.",
			Options: []Opt{{Name: "number", Kind: KindNumber, Help: "a past challenge's number"}}, run: (*Engine).cmdChallengeBoard},
		{Name: "challenge submit", Touch: TouchInHandler, Help: "Submit (or edit) your answer to the open challenge.",
			Options: []Opt{{Name: "text", Kind: KindText, Required: true, Help: "a link or a short text", Rest: true}}, run: (*Engine).cmdChallengeSubmit},
		{Name: "review next", Default: true, Touch: TouchInHandler, Help: "A topic you finished, due for review (after 1, 3, 7, 21 and 60 days), with a self-check.", run: (*Engine).cmdReviewNext},
		{Name: "review done", Touch: TouchInHandler, Help: "You reviewed it: it comes back at the next interval.",
			Options: []Opt{{Name: "topic", Kind: KindTopic, Help: "default: the review due now", Rest: true}}, run: (*Engine).cmdReviewDone},
		{Name: "review skip", Touch: TouchInHandler, Help: "Stop reviewing a topic.",
			Options: []Opt{{Name: "topic", Kind: KindTopic, Help: "default: the review due now", Rest: true}}, run: (*Engine).cmdReviewSkip},
		{Name: "mydata export", Help: "Everything I keep about you, as a JSON file.", run: (*Engine).cmdExport},
		{Name: "mydata delete", Touch: TouchNone, Help: "Delete everything I keep about you (asks to confirm).",
			Options: []Opt{{Name: "confirm", Kind: KindChoice, Choices: []string{"yes"}, Help: "yes, to confirm"}}, run: (*Engine).cmdDelete},

		// /studymod. A group's first command is what its name alone means in
		// text form: "challenge" under /studymod is "challenge list",
		// "moderators" is "moderators list".
		{Name: "challenge list", Access: AccessModerator, Help: "The schedule, the queue and recent challenges.", run: (*Engine).cmdChallengeList},
		{Name: "challenge post", Access: AccessModerator, Help: "Post a challenge now: the next topic, a topic you name, or \"quoted text\"; optionally closing after a span such as 6d.",
			Options: []Opt{
				{Name: "what", Kind: KindChallenge, Help: "a topic (id, title, words); your own text in \"quotes\" or of 5+ words", Rest: true},
				{Name: "closes", Kind: KindDuration, Help: "close it after this long: 6d, 36h (typed last; quote text ending in such a word)", Tail: true},
			}, run: (*Engine).cmdChallengePost},
		{Name: "challenge close", Access: AccessModerator, Help: "Close the open challenge and post its summary; the schedule goes on.", run: (*Engine).cmdChallengeClose},
		{Name: "challenge schedule", Access: AccessModerator, Help: "Post challenges on a schedule: challenge schedule #channel MON 09:00 Europe/Berlin 6d.",
			Options: []Opt{
				{Name: "channel", Kind: KindChannel, Required: true, Help: "where to post"},
				{Name: "when", Kind: KindSchedule, Required: true, Help: "MON 09:00, or a cron spec such as 0 9 * * 1", Rest: true},
				{Name: "zone", Kind: KindZone, Help: "IANA time zone (default UTC)", Tail: true},
				{Name: "closes", Kind: KindDuration, Help: "close each after this long: 6d", Tail: true},
				{Name: "roadmap", Kind: KindRoadmap, Help: "whose topics (default: the group's default roadmap)", Tail: true},
			}, run: (*Engine).cmdChallengeSchedule},
		{Name: "challenge queue", Access: AccessModerator, Help: "Queue a topic for the next challenges, or list the queue.",
			Options: []Opt{{Name: "topic", Kind: KindTopic, Help: "topic id, title or words from it", Rest: true}}, run: (*Engine).cmdChallengeQueue},
		{Name: "challenge unqueue", Access: AccessModerator, Help: "Take a topic out of the challenge queue.", Options: []Opt{topicReq}, run: (*Engine).cmdChallengeUnqueue},
		{Name: "challenge remove", Access: AccessModerator, Help: "Remove a member's submission (spam, a wrong link); they are told privately.",
			Options: []Opt{
				{Name: "member", Kind: KindMember, Required: true, Help: "whose submission"},
				{Name: "number", Kind: KindNumber, Help: "the challenge's number (default: the open one)"},
			}, run: (*Engine).cmdChallengeRemove},
		{Name: "challenge stop", Access: AccessModerator, Help: "Stop the schedule and close the open challenge.", run: (*Engine).cmdChallengeStop},
		{Name: "roadmap add", Access: AccessModerator, Help: "Add a roadmap (a .toml file) to this group, or update one: shows the changes first.",
			Options: []Opt{{Name: "file", Kind: KindFile, Required: true, Help: "the roadmap's .toml file"}}, run: (*Engine).cmdRoadmapAdd},
		{Name: "roadmap apply", Access: AccessModerator, Help: "Apply the update you uploaded with roadmap add (within 15 minutes).",
			Options: []Opt{{Name: "roadmap", Kind: KindRoadmap, Required: true, Help: "the roadmap's id"}}, run: (*Engine).cmdRoadmapApply},
		{Name: "roadmap default", Access: AccessModerator, Help: "The roadmap members follow until they choose one.",
			Options: []Opt{{Name: "roadmap", Kind: KindRoadmap, Required: true, Help: "a roadmap id, such as backend"}}, run: (*Engine).cmdRoadmapDefault},
		{Name: "roadmap export", Access: AccessModerator, Help: "A roadmap's file, to edit and add again.",
			Options: []Opt{{Name: "roadmap", Kind: KindRoadmap, Required: true, Help: "a roadmap id"}}, run: (*Engine).cmdRoadmapExport},
		{Name: "roadmap remove", Access: AccessModerator, Help: "Remove a roadmap added here; its followers go back to the default, their marks kept.",
			Options: []Opt{{Name: "roadmap", Kind: KindRoadmap, Required: true, Help: "a roadmap id"}}, run: (*Engine).cmdRoadmapRemove},
		{Name: "moderators list", Access: AccessModerator, Help: "Who moderates this group, and how that is decided here.", run: (*Engine).cmdModeratorsList},
		{Name: "moderators add", Access: AccessAdmin, Help: "Make a member a moderator (Slack; admins and owners only).",
			Options: []Opt{{Name: "member", Kind: KindMember, Required: true, Help: "who"}}, run: (*Engine).cmdModeratorsAdd},
		{Name: "moderators remove", Access: AccessAdmin, Help: "Take a member's moderator rights (Slack; admins and owners only).",
			Options: []Opt{{Name: "member", Kind: KindMember, Required: true, Help: "who"}}, run: (*Engine).cmdModeratorsRemove},
	}
}
