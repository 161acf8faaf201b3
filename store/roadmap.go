package store

import (
	"context"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"

	"github.com/studybot/studybot/bot"
)

// bucketRoadmaps holds, inside each space's bucket, the roadmaps its
// moderators added (roadmaps/<id> -> RoadmapFile) and their pending uploads
// (pending/<member id> -> RoadmapFile). Files are up to 256 KB, so they live
// apart from the space record, which every command reads.
var (
	bucketRoadmaps = []byte("roadmaps")
	bucketPending  = []byte("pending")
)

// RoadmapFiles implements bot.Store.
func (db *DB) RoadmapFiles(ctx context.Context, sp bot.Space) ([]*bot.RoadmapFile, error) {
	if err := checkSpace(sp); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []*bot.RoadmapFile
	err := db.bolt.View(func(tx *bolt.Tx) error {
		b, err := child(tx, sp, bucketRoadmaps, false)
		if err != nil || b == nil {
			return err
		}
		return b.ForEach(func(k, v []byte) error {
			f := new(bot.RoadmapFile)
			if err := decode("roadmap", v, f); err != nil {
				return fmt.Errorf("roadmap %q: %w", k, err)
			}
			out = append(out, f)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list roadmaps: %w", err)
	}
	return out, nil
}

// RoadmapFile implements bot.Store.
func (db *DB) RoadmapFile(ctx context.Context, sp bot.Space, id string) (*bot.RoadmapFile, error) {
	return getRecord[bot.RoadmapFile](ctx, db, sp, bucketRoadmaps, []byte(id), "roadmap", func() error {
		return bot.RoadmapNotFound(id)
	})
}

// PendingRoadmap implements bot.Store.
func (db *DB) PendingRoadmap(ctx context.Context, sp bot.Space, member string) (*bot.RoadmapFile, error) {
	if err := checkMember(sp, member); err != nil {
		return nil, err
	}
	return getRecord[bot.RoadmapFile](ctx, db, sp, bucketPending, []byte(member), "roadmap", bot.NoPendingRoadmap)
}

// getRecord reads one record of a space, key in the space's bucket named
// bucket, decoded as T; notFound is returned when there is none.
func getRecord[T any](ctx context.Context, db *DB, sp bot.Space, bucket, key []byte, what string, notFound func() error) (*T, error) {
	if err := checkSpace(sp); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out *T
	err := db.bolt.View(func(tx *bolt.Tx) error {
		b, err := child(tx, sp, bucket, false)
		if err != nil || b == nil {
			return err
		}
		if v := b.Get(key); v != nil {
			out = new(T)
			return decode(what, v, out)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", what, err)
	}
	if out == nil {
		return nil, notFound()
	}
	return out, nil
}

// PutRoadmapFile implements bot.Store. It runs in DB.Update: the count
// check and the put must be one decision.
func (db *DB) PutRoadmapFile(ctx context.Context, sp bot.Space, f *bot.RoadmapFile, max int) error {
	if err := checkSpace(sp); err != nil {
		return err
	}
	if err := bot.CheckRoadmapFile(f); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		b, err := child(tx, sp, bucketRoadmaps, true)
		if err != nil {
			return err
		}
		n := 0
		_ = b.ForEach(func(_, _ []byte) error { n++; return nil })
		if err := bot.RoadmapLimit(n, b.Get([]byte(f.ID)) != nil, max); err != nil {
			return err
		}
		buf, err := encode("roadmap", f)
		if err != nil {
			return err
		}
		if err := b.Put([]byte(f.ID), buf); err != nil {
			return err
		}
		sb, err := spaceBucket(tx, sp, true)
		if err != nil {
			return err
		}
		rec, err := getSpace(sb, sp)
		if err != nil {
			return err
		}
		rec.PutRoadmapInfo(f)
		return db.putSpace(sb, sp, rec)
	})
	return wrap("store roadmap", err)
}

// DeleteRoadmapFile implements bot.Store.
func (db *DB) DeleteRoadmapFile(ctx context.Context, sp bot.Space, id string, fn func(*bot.SpaceRecord) error) error {
	if err := checkSpace(sp); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	var fnErr error
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		sb, err := spaceBucket(tx, sp, true)
		if err != nil {
			return err
		}
		b := sb.Bucket(bucketRoadmaps)
		if b == nil || b.Get([]byte(id)) == nil {
			return bot.RoadmapNotFound(id)
		}
		if err := b.Delete([]byte(id)); err != nil {
			return err
		}
		rec, err := getSpace(sb, sp)
		if err != nil {
			return err
		}
		rec.Roadmaps = slices.DeleteFunc(rec.Roadmaps, func(r bot.RoadmapInfo) bool { return r.ID == id })
		if err := bot.ApplySpaceUpdate(rec, fn); err != nil {
			fnErr = err
			return err
		}
		return db.putSpace(sb, sp, rec)
	})
	return fnResult("delete roadmap", fnErr, err)
}

// SetPendingRoadmap implements bot.Store.
func (db *DB) SetPendingRoadmap(ctx context.Context, sp bot.Space, member string, f *bot.RoadmapFile) error {
	if err := checkMember(sp, member); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		b, err := child(tx, sp, bucketPending, true)
		if err != nil {
			return err
		}
		if f == nil {
			return b.Delete([]byte(member))
		}
		buf, err := encode("roadmap", f)
		if err != nil {
			return err
		}
		return b.Put([]byte(member), buf)
	})
	return wrap("store pending roadmap", err)
}

// forgetInRoadmaps blanks a deleted member's id where they added a roadmap.
func forgetInRoadmaps(sb *bolt.Bucket, id string) error {
	b := sb.Bucket(bucketRoadmaps)
	if b == nil {
		return nil
	}
	var changed []*bot.RoadmapFile
	err := b.ForEach(func(k, v []byte) error {
		f := new(bot.RoadmapFile)
		if err := decode("roadmap", v, f); err != nil {
			return err
		}
		if f.AddedBy == id {
			f.AddedBy = ""
			changed = append(changed, f)
		}
		return nil
	})
	if err != nil {
		return err
	}
	// Put after ForEach: a bucket must not change while it is iterated.
	for _, f := range changed {
		buf, err := encode("roadmap", f)
		if err != nil {
			return err
		}
		if err := b.Put([]byte(f.ID), buf); err != nil {
			return err
		}
	}
	return nil
}

// forgetPending drops a deleted member's pending upload.
func forgetPending(sb *bolt.Bucket, id string) error {
	if b := sb.Bucket(bucketPending); b != nil {
		return b.Delete([]byte(id))
	}
	return nil
}

// keySeenRoadmap keeps, in the meta bucket, the built-in roadmap's topics
// (id -> title) as the last start saw them.
var keySeenRoadmap = []byte("seen_roadmap")

// SeenRoadmap records the deployment's built-in roadmap (the one embedded,
// or roadmap.file's) as topic id -> title, and returns what the previous
// start recorded: nil on the first start. Main logs the difference, so a
// changed roadmap never changes what members see without a word.
func (db *DB) SeenRoadmap(topics map[string]string) (map[string]string, error) {
	var prev map[string]string
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if v := meta.Get(keySeenRoadmap); v != nil {
			if err := decode("seen roadmap", v, &prev); err != nil {
				return err
			}
		}
		buf, err := encode("seen roadmap", topics)
		if err != nil {
			return err
		}
		return meta.Put(keySeenRoadmap, buf)
	})
	if err != nil {
		return nil, fmt.Errorf("record roadmap: %w", err)
	}
	return prev, nil
}
