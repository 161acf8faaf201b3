package store

import (
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/studybot/studybot/bot"
)

// bucketDMs holds, inside a space's bucket, each member's direct-message
// channel id: spaces/<platform:id>/dms/<member id> -> channel id. Inside the
// space's bucket, so spaces stay isolated and DeleteMember forgets it in the
// transaction that removes the member.
var bucketDMs = []byte("dms")

var _ bot.DMChannels = (*DB)(nil)

// DMChannel implements bot.DMChannels.
func (db *DB) DMChannel(ctx context.Context, sp bot.Space, member string) (string, error) {
	if err := checkMember(sp, member); err != nil {
		return "", err
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	var ch string
	err := db.bolt.View(func(tx *bolt.Tx) error {
		b, err := child(tx, sp, bucketDMs, false)
		if err != nil || b == nil {
			return err
		}
		ch = string(b.Get([]byte(member))) // string() copies out of the mapped page
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("read DM channel: %w", err)
	}
	return ch, nil
}

// SetDMChannel implements bot.DMChannels. Concurrent calls (a nudge fan-out
// opening many channels at once) share commits through DB.Batch; the function
// only puts or deletes one key, so bbolt may run it again safely.
func (db *DB) SetDMChannel(ctx context.Context, sp bot.Space, member, channel string) error {
	if err := bot.CheckDMChannel(sp, member, channel); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	err := db.bolt.Batch(func(tx *bolt.Tx) error {
		if channel == "" {
			b, err := child(tx, sp, bucketDMs, false)
			if err != nil || b == nil {
				return err
			}
			return b.Delete([]byte(member))
		}
		b, err := child(tx, sp, bucketDMs, true)
		if err != nil {
			return err
		}
		return b.Put([]byte(member), []byte(channel))
	})
	return wrap("store DM channel", err)
}

// forgetDMChannel removes a member's channel id from a space's bucket
// (DeleteMember).
func forgetDMChannel(sb *bolt.Bucket, id string) error {
	if b := sb.Bucket(bucketDMs); b != nil {
		return b.Delete([]byte(id))
	}
	return nil
}
