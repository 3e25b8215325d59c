// The nats.go column of bench/run.py: one measurement per process, in the
// protocol of bench/worker.py.
//
//	natsgo-worker run nats.go CASE PARAMS-JSON   run a case, print "RESULT {json}"
//	natsgo-worker sub nats.go PARAMS-JSON        pubsub_2p subscriber: "READY", then "RESULT"
//	natsgo-worker version                        the nats.go and Go versions
//
// Built by bench/peers.py in GOPATH mode (GO111MODULE=off) against the
// nats.go sources of Debian's golang-github-nats-io-go-nats-dev (1.22), so
// only what nats.go 1.22 has: its JetStream API is the one of JetStreamContext
// (no consume(): js_consume is a Fetch loop, as for nats-py).
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
)

// Subjects and names shared with bench/common.py.
const (
	pubSubject    = "bench.pub"
	pubsubSubject = "bench.ps"
	reqSubject    = "bench.req"
	otherPrefix   = "bench.other"
	jsPubSubject  = "bjs.pub"
	jsPullStream  = "BENCH_PULL"
	jsConsumer    = "bench"
	kvBucket      = "bench"
	kvKeys        = 100
	block         = 2048 // messages between two deadline checks
	consumeBatch  = 500  // the fetch size standing in for consume() (ADR-37's default)
)

type params struct {
	URL        string  `json:"url"`
	N          int     `json:"n"`
	MaxSeconds float64 `json:"max_seconds"`
	Size       int     `json:"size"`
	Warmup     int     `json:"warmup"`
	Window     int     `json:"window"`
	Batch      int     `json:"batch"`
	Subject    string  `json:"subject"`
	ExtraSubs  int     `json:"extra_subs"`
}

type result map[string]interface{}

func (p *params) deadline() time.Time {
	return time.Now().Add(time.Duration(p.MaxSeconds * float64(time.Second)))
}

func (p *params) payload() []byte { return bytes.Repeat([]byte("x"), p.Size) }

func connect(p *params) (*nats.Conn, error) {
	return nats.Connect(p.URL, nats.Name("bench"), nats.NoReconnect())
}

func rate(count int, elapsed time.Duration) result {
	s := elapsed.Seconds()
	r := 0.0
	if s > 0 {
		r = float64(count) / s
	}
	return result{"count": count, "elapsed": s, "rate": r}
}

func na(reason string) result { return result{"na": reason} }

// loop calls op(i) for i in 0..n-1 in blocks, stopping once past the deadline.
func loop(p *params, op func(i int) error) (int, error) {
	deadline := p.deadline()
	done := 0
	for done < p.N && time.Now().Before(deadline) {
		end := done + block
		if end > p.N {
			end = p.N
		}
		for i := done; i < end; i++ {
			if err := op(i); err != nil {
				return done, err
			}
		}
		done = end
	}
	return done, nil
}

func casePub(p *params) (result, error) {
	nc, err := connect(p)
	if err != nil {
		return nil, err
	}
	defer nc.Close()
	data := p.payload()
	t0 := time.Now()
	sent, err := loop(p, func(int) error { return nc.Publish(pubSubject, data) })
	if err != nil {
		return nil, err
	}
	if err := nc.FlushTimeout(60 * time.Second); err != nil {
		return nil, err
	}
	return rate(sent, time.Since(t0)), nil
}

// counter counts deliveries; done closes at n.
type counter struct {
	n     int64
	count int64
	last  atomic.Value // time.Time of the n-th message
	done  chan struct{}
}

func newCounter(n int) *counter { return &counter{n: int64(n), done: make(chan struct{})} }

func (c *counter) handle(*nats.Msg) {
	if atomic.AddInt64(&c.count, 1) == c.n {
		c.last.Store(time.Now())
		close(c.done)
	}
}

func (c *counter) wait(timeout time.Duration) {
	select {
	case <-c.done:
	case <-time.After(timeout):
	}
}

func (c *counter) lastOr(t time.Time) time.Time {
	if v, ok := c.last.Load().(time.Time); ok {
		return v
	}
	return t
}

func subscribe(nc *nats.Conn, subject string, c *counter) error {
	sub, err := nc.Subscribe(subject, c.handle)
	if err != nil {
		return err
	}
	return sub.SetPendingLimits(-1, -1)
}

func casePubsub1p(p *params) (result, error) {
	nc, err := connect(p)
	if err != nil {
		return nil, err
	}
	defer nc.Close()
	subject := p.Subject
	if subject == "" {
		subject = pubsubSubject
	}
	for i := 0; i < p.ExtraSubs; i++ {
		if _, err := nc.Subscribe(fmt.Sprintf("%s.%d", otherPrefix, i), func(*nats.Msg) {}); err != nil {
			return nil, err
		}
	}
	c := newCounter(p.N)
	if err := subscribe(nc, subject, c); err != nil {
		return nil, err
	}
	if err := nc.FlushTimeout(60 * time.Second); err != nil {
		return nil, err
	}
	data := p.payload()
	deadline := p.deadline()
	t0 := time.Now()
	if _, err := loop(p, func(int) error { return nc.Publish(subject, data) }); err != nil {
		return nil, err
	}
	c.wait(time.Until(deadline) + time.Second)
	elapsed := c.lastOr(time.Now()).Sub(t0)
	count := int(atomic.LoadInt64(&c.count))
	res := rate(count, elapsed)
	res["ns_per_msg"] = float64(elapsed.Nanoseconds()) / math.Max(1, float64(count))
	return res, nil
}

// subProcess is the subscriber of pubsub_2p; its times are Unix nanoseconds.
func subProcess(p *params) (result, error) {
	nc, err := connect(p)
	if err != nil {
		return nil, err
	}
	defer nc.Close()
	c := newCounter(p.N)
	if err := subscribe(nc, pubsubSubject, c); err != nil {
		return nil, err
	}
	if err := nc.FlushTimeout(60 * time.Second); err != nil {
		return nil, err
	}
	fmt.Println("READY")
	c.wait(time.Duration((p.MaxSeconds + 1) * float64(time.Second)))
	return result{"count": atomic.LoadInt64(&c.count), "last": c.lastOr(time.Now()).UnixNano()}, nil
}

func casePubsub2p(p *params) (result, error) {
	raw, _ := json.Marshal(p)
	child := exec.Command(os.Args[0], "sub", "nats.go", string(raw))
	out, err := child.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := child.Start(); err != nil {
		return nil, err
	}
	defer func() { _ = child.Process.Kill(); _ = child.Wait() }()
	lines := make(chan string)
	go func() {
		scanner := bufio.NewScanner(out)
		for scanner.Scan() {
			lines <- scanner.Text()
		}
		close(lines)
	}()
	next := func(timeout time.Duration) string {
		select {
		case line := <-lines:
			return line
		case <-time.After(timeout):
			return ""
		}
	}
	if line := next(30 * time.Second); line != "READY" {
		return result{"error": fmt.Sprintf("subscriber did not start: %q", line)}, nil
	}
	nc, err := connect(p)
	if err != nil {
		return nil, err
	}
	defer nc.Close()
	data := p.payload()
	t0 := time.Now().UnixNano()
	if _, err := loop(p, func(int) error { return nc.Publish(pubsubSubject, data) }); err != nil {
		return nil, err
	}
	if err := nc.FlushTimeout(60 * time.Second); err != nil {
		return nil, err
	}
	for {
		line := next(time.Duration((p.MaxSeconds + 30) * float64(time.Second)))
		if line == "" {
			return result{"error": "subscriber gave no result"}, nil
		}
		if strings.HasPrefix(line, "RESULT ") {
			var sub struct {
				Count int    `json:"count"`
				Last  int64  `json:"last"`
				Error string `json:"error"`
			}
			if err := json.Unmarshal([]byte(line[7:]), &sub); err != nil {
				return nil, err
			}
			if sub.Error != "" {
				return result{"error": sub.Error}, nil
			}
			return rate(sub.Count, time.Duration(sub.Last-t0)), nil
		}
	}
}

func percentile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return math.NaN()
	}
	idx := int(math.Round(q * float64(len(sorted)-1)))
	return sorted[idx]
}

func caseReqSeq(p *params) (result, error) {
	nc, err := connect(p)
	if err != nil {
		return nil, err
	}
	defer nc.Close()
	data := p.payload()
	for i := 0; i < p.Warmup; i++ {
		if _, err := nc.Request(reqSubject, data, 10*time.Second); err != nil {
			return nil, err
		}
	}
	samples := make([]float64, 0, p.N)
	deadline := p.deadline()
	start := time.Now()
	for i := 0; i < p.N; i++ {
		t0 := time.Now()
		if _, err := nc.Request(reqSubject, data, 10*time.Second); err != nil {
			return nil, err
		}
		samples = append(samples, time.Since(t0).Seconds())
		if t0.After(deadline) {
			break
		}
	}
	elapsed := time.Since(start)
	sort.Float64s(samples)
	res := rate(len(samples), elapsed)
	res["p50_us"] = percentile(samples, 0.50) * 1e6
	res["p90_us"] = percentile(samples, 0.90) * 1e6
	res["p99_us"] = percentile(samples, 0.99) * 1e6
	return res, nil
}

// caseReqConc keeps p.Window requests in flight: a goroutine each, as Go code would.
func caseReqConc(p *params) (result, error) {
	nc, err := connect(p)
	if err != nil {
		return nil, err
	}
	defer nc.Close()
	data := p.payload()
	deadline := p.deadline()
	done := 0
	var failed atomic.Value
	t0 := time.Now()
	for done < p.N && time.Now().Before(deadline) {
		var wg sync.WaitGroup
		wg.Add(p.Window)
		for i := 0; i < p.Window; i++ {
			go func() {
				defer wg.Done()
				if _, err := nc.Request(reqSubject, data, 30*time.Second); err != nil {
					failed.Store(err)
				}
			}()
		}
		wg.Wait()
		if err, ok := failed.Load().(error); ok {
			return nil, err
		}
		done += p.Window
	}
	return rate(done, time.Since(t0)), nil
}

func jetStream(p *params, opts ...nats.JSOpt) (*nats.Conn, nats.JetStreamContext, error) {
	nc, err := connect(p)
	if err != nil {
		return nil, nil, err
	}
	js, err := nc.JetStream(opts...)
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	return nc, js, nil
}

func caseJsPubSync(p *params) (result, error) {
	nc, js, err := jetStream(p)
	if err != nil {
		return nil, err
	}
	defer nc.Close()
	data := p.payload()
	t0 := time.Now()
	done, err := loop(p, func(int) error { _, err := js.Publish(jsPubSubject, data); return err })
	if err != nil {
		return nil, err
	}
	return rate(done, time.Since(t0)), nil
}

func awaitAck(f nats.PubAckFuture) error {
	select {
	case <-f.Ok():
		return nil
	case err := <-f.Err():
		return err
	}
}

// caseJsPubAsync: PublishAsync with at most p.Window acks in flight, waited for
// oldest first (as the Python clients do).
func caseJsPubAsync(p *params) (result, error) {
	nc, js, err := jetStream(p, nats.PublishAsyncMaxPending(p.Window))
	if err != nil {
		return nil, err
	}
	defer nc.Close()
	data := p.payload()
	pending := make([]nats.PubAckFuture, 0, p.Window)
	t0 := time.Now()
	done, err := loop(p, func(int) error {
		if len(pending) >= p.Window {
			if err := awaitAck(pending[0]); err != nil {
				return err
			}
			pending = pending[1:]
		}
		f, err := js.PublishAsync(jsPubSubject, data)
		pending = append(pending, f)
		return err
	})
	if err != nil {
		return nil, err
	}
	for _, f := range pending {
		if err := awaitAck(f); err != nil {
			return nil, err
		}
	}
	return rate(done, time.Since(t0)), nil
}

func fetchLoop(p *params, batch int) (result, error) {
	nc, js, err := jetStream(p)
	if err != nil {
		return nil, err
	}
	defer nc.Close()
	sub, err := js.PullSubscribe("", jsConsumer, nats.Bind(jsPullStream, jsConsumer))
	if err != nil {
		return nil, err
	}
	deadline := p.deadline()
	done := 0
	t0 := time.Now()
	for done < p.N && time.Now().Before(deadline) {
		want := batch
		if p.N-done < want {
			want = p.N - done
		}
		msgs, err := sub.Fetch(want, nats.MaxWait(5*time.Second))
		if err != nil && !errors.Is(err, nats.ErrTimeout) {
			return nil, err
		}
		for _, m := range msgs {
			if err := m.Ack(); err != nil {
				return nil, err
			}
		}
		done += len(msgs)
		if len(msgs) == 0 {
			break
		}
	}
	if err := nc.FlushTimeout(60 * time.Second); err != nil {
		return nil, err
	}
	return rate(done, time.Since(t0)), nil
}

func caseKv(p *params, put bool) (result, error) {
	nc, js, err := jetStream(p)
	if err != nil {
		return nil, err
	}
	defer nc.Close()
	kv, err := js.KeyValue(kvBucket)
	if err != nil {
		return nil, err
	}
	keys := make([]string, kvKeys)
	for i := range keys {
		keys[i] = fmt.Sprintf("k%d", i)
	}
	data := p.payload()
	t0 := time.Now()
	done, err := loop(p, func(i int) error {
		if put {
			_, err := kv.Put(keys[i%kvKeys], data)
			return err
		}
		_, err := kv.Get(keys[i%kvKeys])
		return err
	})
	if err != nil {
		return nil, err
	}
	return rate(done, time.Since(t0)), nil
}

var cases = map[string]func(*params) (result, error){
	"pub":          casePub,
	"pubsub_1p":    casePubsub1p,
	"pubsub_2p":    casePubsub2p,
	"req_seq":      caseReqSeq,
	"req_conc":     caseReqConc,
	"js_pub_sync":  caseJsPubSync,
	"js_pub_async": caseJsPubAsync,
	"js_fetch":     func(p *params) (result, error) { return fetchLoop(p, p.Batch) },
	"js_consume": func(p *params) (result, error) {
		res, err := fetchLoop(p, consumeBatch)
		if err == nil {
			res["note"] = fmt.Sprintf("nats.go 1.22 has no consume(): Fetch(%d) loop", consumeBatch)
		}
		return res, err
	},
	"kv_put": func(p *params) (result, error) { return caseKv(p, true) },
	"kv_get": func(p *params) (result, error) { return caseKv(p, false) },
}

var missing = map[string]string{
	"js_batch":    "nats.go 1.22 has no batch publish (ADR-50)",
	"kv_get_many": "nats.go 1.22 has no batched get (multi-last direct get)",
	"rss":         "a Go process's memory is not comparable with Python's",
	"import":      "compiled: nothing is imported at run time",
}

func emit(res result) {
	raw, err := json.Marshal(res)
	if err != nil {
		raw, _ = json.Marshal(result{"error": err.Error()})
	}
	fmt.Printf("RESULT %s\n", raw)
}

func main() {
	args := os.Args[1:]
	if len(args) == 1 && args[0] == "version" {
		fmt.Printf("nats.go %s (%s)\n", nats.Version, runtime.Version())
		return
	}
	if len(args) < 3 || (args[0] == "run" && len(args) < 4) {
		fmt.Fprintln(os.Stderr, "usage: natsgo-worker run nats.go CASE PARAMS | sub nats.go PARAMS | version")
		os.Exit(2)
	}
	var p params
	raw := args[len(args)-1]
	if err := json.Unmarshal([]byte(raw), &p); err != nil {
		emit(result{"error": err.Error()})
		return
	}
	var res result
	var err error
	if args[0] == "sub" {
		res, err = subProcess(&p)
	} else if fn, ok := cases[args[2]]; ok {
		res, err = fn(&p)
	} else if reason, ok := missing[args[2]]; ok {
		res = na(reason)
	} else {
		res = na("no nats.go variant")
	}
	if err != nil {
		res = result{"error": err.Error()}
	}
	emit(res)
}
