package redisstore

import (
	"context"
	"errors"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"

	"chessplatform/app/internal/store"
)

// putBatcher sends concurrent PutGame scripts of different games in one pipeline: a few worker
// goroutines each take every request waiting at that moment and send them in one round trip.
// Nothing waits for a timer (a lone request goes out at once), so batches form only under load,
// where they save a write and a read system call and a pool connection per request. Each
// script is still atomic and version-checked on its own, so the order between batches does
// not matter.
type putBatcher struct {
	s     *Store
	queue chan *putRequest
	stop  chan struct{}
	wg    sync.WaitGroup
}

type putRequest struct {
	keys []string
	args []any
	done chan error
}

// maxPutBatch bounds one pipeline.
const maxPutBatch = 64

func newPutBatcher(s *Store, workers int) *putBatcher {
	b := &putBatcher{s: s, queue: make(chan *putRequest, 4*maxPutBatch), stop: make(chan struct{})}
	for i := 0; i < workers; i++ {
		b.wg.Add(1)
		go b.work()
	}
	return b
}

// run queues one script and waits for its result (or ctx).
func (b *putBatcher) run(ctx context.Context, keys []string, args []any) error {
	r := &putRequest{keys: keys, args: args, done: make(chan error, 1)}
	select {
	case b.queue <- r:
	case <-ctx.Done():
		return ctx.Err()
	case <-b.stop:
		return errors.New("redis store closed")
	}
	select {
	case err := <-r.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (b *putBatcher) work() {
	defer b.wg.Done()
	batch := make([]*putRequest, 0, maxPutBatch)
	for {
		select {
		case <-b.stop:
			return
		case r := <-b.queue:
			batch = append(batch[:0], r)
		}
	more:
		for len(batch) < maxPutBatch {
			select {
			case r := <-b.queue:
				batch = append(batch, r)
			default:
				break more
			}
		}
		b.exec(batch)
	}
}

func (b *putBatcher) exec(batch []*putRequest) {
	ctx, cancel := context.WithTimeout(context.Background(), b.s.cfg.OpTimeout)
	defer cancel()
	if len(batch) == 1 {
		r := batch[0]
		r.done <- putReply(putGameScript.Run(ctx, b.s.rdb, r.keys, r.args...).Result())
		return
	}
	pipe := b.s.rdb.Pipeline()
	cmds := make([]*redis.Cmd, len(batch))
	for i, r := range batch {
		cmds[i] = putGameScript.EvalSha(ctx, pipe, r.keys, r.args...)
	}
	_, _ = pipe.Exec(ctx) // per-command errors are read below
	for i, r := range batch {
		err := putReply(cmds[i].Result())
		if err != nil && strings.HasPrefix(err.Error(), "NOSCRIPT") {
			// Redis restarted and lost its script cache: Run loads the script again.
			err = putReply(putGameScript.Run(ctx, b.s.rdb, r.keys, r.args...).Result())
		}
		r.done <- err
	}
}

// putReply is a PutGame script's outcome: -1 means it refused events that leave a gap.
func putReply(res any, err error) error {
	if err != nil {
		return err
	}
	if n, ok := res.(int64); ok && n < 0 {
		return store.ErrGap
	}
	return nil
}

// close stops the workers; requests still queued are not sent.
func (b *putBatcher) close() {
	close(b.stop)
	b.wg.Wait()
}
