// Package slackfake is a fake Slack for tests: the Web API methods the bot
// uses, response_url receivers, Socket Mode, and Slack's signed HTTP
// requests. It records everything it is sent so tests can assert on it,
// and answers anything it does not know with unknown_method, recorded too,
// so a test can assert that nothing unexpected was called.
//
// Point slack-go at it with slack.OptionAPIURL(f.APIURL()) (or f.Client,
// f.SocketModeClient). Nothing here is for production use.
package slackfake

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// Paths served by the fake.
const (
	apiPrefix      = "/api/"
	responsePrefix = "/response/"
	uploadPrefix   = "/upload/"
	socketPrefix   = "/socket/"

	// maxRequestBytes bounds what the fake reads of any request.
	maxRequestBytes = 8 << 20
)

// Identity is who the fake says the bot is (auth.test) and where.
type Identity struct {
	TeamID, TeamName, TeamDomain string
	BotUserID, BotName, BotID    string
	AppID                        string
}

// DefaultIdentity is the identity of a new Fake.
func DefaultIdentity() Identity {
	return Identity{
		TeamID: "T0FAKE", TeamName: "Fake Team", TeamDomain: "fake",
		BotUserID: "U0BOT", BotName: "supaops", BotID: "B0BOT",
		AppID: "A0FAKE",
	}
}

// Usergroup is a usergroup of the fake's workspace.
type Usergroup struct {
	ID     string // S…
	Handle string // without the @
	Name   string
	Users  []string // member user ids
}

// Call is one Web API call the fake received.
type Call struct {
	Method string // e.g. "chat.postMessage"
	// Token is the one the call carried: the Authorization bearer, else the
	// form's token (which is then not in Params).
	Token string
	// Params are the query and form parameters.
	Params url.Values
	// JSON is the body of a JSON call (nil for a form).
	JSON json.RawMessage
	// Error is the error code the fake answered with ("" for ok), e.g.
	// "unknown_method", "invalid_auth", "ratelimited".
	Error string
}

// Param is the first value of a parameter.
func (c Call) Param(name string) string { return c.Params.Get(name) }

// ResponsePost is one POST to a response_url.
type ResponsePost struct {
	Body json.RawMessage
	// Expired reports a post the fake refused with 404 (ExpireResponseURL).
	Expired bool
}

// Upload is a file uploaded the way slack-go's UploadFileContext does it:
// files.getUploadURLExternal, a POST to the upload URL,
// files.completeUploadExternal.
type Upload struct {
	FileID, Filename string
	Length           int    // as announced to files.getUploadURLExternal
	Content          []byte // as posted to the upload URL
	// Set by files.completeUploadExternal.
	Title, ChannelID, ThreadTS, InitialComment string
	Completed                                  bool
}

// Fake is a running fake Slack. Its methods are safe for concurrent use.
type Fake struct {
	srv      *httptest.Server
	upgrader websocket.Upgrader
	wg       sync.WaitGroup // websocket connections' goroutines

	mu        sync.Mutex
	changed   chan struct{} // closed and replaced whenever something is recorded
	closed    bool
	seq       int
	identity  Identity
	groups    []Usergroup
	refused   map[string]bool
	limits    map[string]*rateLimit
	calls     []Call
	responses map[string][]ResponsePost
	expired   map[string]bool
	uploads   []*Upload
	socket    socketState
}

type rateLimit struct {
	retryAfter int // seconds
	left       int // < 0: for ever
}

// New starts a fake Slack; it is closed when tb's test ends.
func New(tb testing.TB) *Fake {
	tb.Helper()
	f := &Fake{
		changed:   make(chan struct{}),
		identity:  DefaultIdentity(),
		refused:   map[string]bool{},
		limits:    map[string]*rateLimit{},
		responses: map[string][]ResponsePost{},
		expired:   map[string]bool{},
		// Slack's client sends Origin: https://api.slack.com.
		upgrader: websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }},
	}
	mux := http.NewServeMux()
	mux.HandleFunc(apiPrefix, f.serveAPI)
	mux.HandleFunc(responsePrefix, f.serveResponseURL)
	mux.HandleFunc(uploadPrefix, f.serveUpload)
	mux.HandleFunc(socketPrefix, f.serveSocket)
	f.srv = httptest.NewServer(mux)
	tb.Cleanup(f.Close)
	return f
}

// Close ends Socket Mode connections and stops the server. New arranges
// for it; calling it again does nothing.
func (f *Fake) Close() {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return
	}
	f.closed = true
	conns := slices.Clone(f.socket.conns)
	f.mu.Unlock()
	for _, c := range conns {
		_ = c.ws.Close()
	}
	f.wg.Wait()
	f.srv.Close()
}

// URL is the fake's base URL, without a trailing slash.
func (f *Fake) URL() string { return f.srv.URL }

// APIURL is the Web API's base URL, ending in "/", for slack.OptionAPIURL.
func (f *Fake) APIURL() string { return f.srv.URL + apiPrefix }

// Client is a slack-go client with token on the fake.
func (f *Fake) Client(token string, opts ...slack.Option) *slack.Client {
	return slack.New(token, append([]slack.Option{slack.OptionAPIURL(f.APIURL())}, opts...)...)
}

// SocketModeClient is a Socket Mode client on the fake, with a bot token and
// an app-level token.
func (f *Fake) SocketModeClient(botToken, appToken string, opts ...socketmode.Option) *socketmode.Client {
	return socketmode.New(f.Client(botToken, slack.OptionAppLevelToken(appToken)), opts...)
}

// Identity is who the fake says the bot is.
func (f *Fake) Identity() Identity {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.identity
}

// SetIdentity changes who the fake says the bot is.
func (f *Fake) SetIdentity(id Identity) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.identity = id
}

// SetUsergroups replaces the workspace's usergroups.
func (f *Fake) SetUsergroups(groups ...Usergroup) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.groups = make([]Usergroup, len(groups))
	for i, g := range groups {
		g.Users = slices.Clone(g.Users)
		f.groups[i] = g
	}
}

// RefuseToken makes every call with token answer invalid_auth, including
// apps.connections.open.
func (f *Fake) RefuseToken(token string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.refused[token] = true
}

// RateLimit makes the next times calls of method answer 429 with
// Retry-After: retryAfter (seconds); times < 0 means every call from now
// on, 0 lifts the limit.
func (f *Fake) RateLimit(method string, retryAfter, times int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if times == 0 {
		delete(f.limits, method)
		return
	}
	f.limits[method] = &rateLimit{retryAfter: retryAfter, left: times}
}

// Calls is every Web API call so far, in order.
func (f *Fake) Calls() []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return cloneCalls(f.calls, func(Call) bool { return true })
}

// CallsTo is the Web API calls of one method so far, in order.
func (f *Fake) CallsTo(method string) []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return cloneCalls(f.calls, func(c Call) bool { return c.Method == method })
}

// UnknownCalls is the calls of methods the fake does not implement.
func (f *Fake) UnknownCalls() []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return cloneCalls(f.calls, func(c Call) bool { return c.Error == "unknown_method" })
}

func cloneCalls(calls []Call, keep func(Call) bool) []Call {
	var out []Call
	for _, c := range calls {
		if keep(c) {
			c.Params = cloneValues(c.Params)
			c.JSON = slices.Clone(c.JSON)
			out = append(out, c)
		}
	}
	return out
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}

// Uploads is the files uploaded so far, in order.
func (f *Fake) Uploads() []Upload {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Upload, len(f.uploads))
	for i, u := range f.uploads {
		out[i] = *u
		out[i].Content = slices.Clone(u.Content)
	}
	return out
}

// ResponseURL is a response_url whose POSTs are recorded under name and
// answered 200, until ExpireResponseURL(name).
func (f *Fake) ResponseURL(name string) string {
	return f.srv.URL + responsePrefix + url.PathEscape(name)
}

// ExpireResponseURL makes name's response_url answer 404, as Slack does
// once one is expired or used up. Posts are still recorded.
func (f *Fake) ExpireResponseURL(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.expired[name] = true
}

// ResponsePosts is what was posted to name's response_url, in order.
func (f *Fake) ResponsePosts(name string) []ResponsePost {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := slices.Clone(f.responses[name])
	for i := range out {
		out[i].Body = slices.Clone(out[i].Body)
	}
	return out
}

// Wait returns once cond holds, checking it now and after everything the
// fake records (calls, posts, uploads, connections, acks), or ctx's error.
// cond may call the fake's methods.
func (f *Fake) Wait(ctx context.Context, cond func() bool) error {
	for {
		f.mu.Lock()
		ch := f.changed
		f.mu.Unlock()
		if cond() {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("slackfake: waiting: %w", ctx.Err())
		}
	}
}

// notifyLocked wakes Wait; f.mu must be held.
func (f *Fake) notifyLocked() {
	close(f.changed)
	f.changed = make(chan struct{})
}

// nextLocked is a fresh sequence number; f.mu must be held.
func (f *Fake) nextLocked() int {
	f.seq++
	return f.seq
}

// tsLocked is a fresh message timestamp; f.mu must be held.
func (f *Fake) tsLocked() string {
	return fmt.Sprintf("1700000000.%06d", f.nextLocked())
}

// answer is a Web API answer: an HTTP status, a Retry-After and a JSON body.
type answer struct {
	status     int
	retryAfter int
	body       map[string]any
}

func ok(fields map[string]any) answer {
	body := map[string]any{"ok": true}
	for k, v := range fields {
		body[k] = v
	}
	return answer{status: http.StatusOK, body: body}
}

func fail(code string) answer {
	return answer{status: http.StatusOK, body: map[string]any{"ok": false, "error": code}}
}

func (f *Fake) serveAPI(w http.ResponseWriter, r *http.Request) {
	c, err := readCall(w, r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	a := f.answerLocked(&c)
	f.calls = append(f.calls, c)
	f.notifyLocked()
	f.mu.Unlock()

	if a.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(a.retryAfter))
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(a.status)
	_ = json.NewEncoder(w).Encode(a.body)
}

// readCall reads a Web API request as slack-go sends them: a form, a JSON
// body or a GET query, with the token in the Authorization header or the
// form.
func readCall(w http.ResponseWriter, r *http.Request) (Call, error) {
	c := Call{Method: strings.TrimPrefix(r.URL.Path, apiPrefix)}
	r.Body = http.MaxBytesReader(w, r.Body, maxRequestBytes)
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/json" {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return Call{}, fmt.Errorf("reading body: %w", err)
		}
		if body = bytes.TrimSpace(body); len(body) > 0 {
			if !json.Valid(body) {
				return Call{}, fmt.Errorf("body is not JSON")
			}
			c.JSON = body
		}
	}
	if err := r.ParseForm(); err != nil {
		return Call{}, fmt.Errorf("parsing form: %w", err)
	}
	c.Params = cloneValues(r.Form)
	if tok, found := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); found {
		c.Token = tok
	} else {
		c.Token = c.Params.Get("token")
	}
	c.Params.Del("token")
	return c, nil
}

// methodLocked is the fake's implementation of a Web API method, nil for
// one it does not know.
func (f *Fake) methodLocked(name string) func(*Call) answer {
	switch name {
	case "auth.test":
		return f.authTest
	case "chat.postMessage":
		return f.chatPostMessage
	case "chat.postEphemeral":
		return f.chatPostEphemeral
	case "chat.update":
		return f.chatUpdate
	case "usergroups.list":
		return f.usergroupsList
	case "usergroups.users.list":
		return f.usergroupsUsersList
	case "files.getUploadURLExternal":
		return f.filesGetUploadURLExternal
	case "files.completeUploadExternal":
		return f.filesCompleteUploadExternal
	case "apps.connections.open":
		return f.appsConnectionsOpen
	}
	return nil
}

// answerLocked answers a call and sets its Error; f.mu must be held.
func (f *Fake) answerLocked(c *Call) answer {
	a := f.dispatchLocked(c)
	if okv, _ := a.body["ok"].(bool); !okv {
		c.Error, _ = a.body["error"].(string)
	}
	return a
}

func (f *Fake) dispatchLocked(c *Call) answer {
	method := f.methodLocked(c.Method)
	if method == nil {
		return fail("unknown_method")
	}
	if l := f.limits[c.Method]; l != nil && l.left != 0 {
		if l.left > 0 {
			l.left--
		}
		a := fail("ratelimited")
		a.status, a.retryAfter = http.StatusTooManyRequests, l.retryAfter
		return a
	}
	switch {
	case c.Token == "":
		return fail("not_authed")
	case f.refused[c.Token]:
		return fail("invalid_auth")
	}
	// Slack takes only app-level tokens for apps.connections.open, and
	// only others for everything else.
	appToken := strings.HasPrefix(c.Token, "xapp-")
	if (c.Method == "apps.connections.open") != appToken {
		return fail("not_allowed_token_type")
	}
	return method(c)
}

func (f *Fake) authTest(*Call) answer {
	id := f.identity
	return ok(map[string]any{
		"url": "https://" + id.TeamDomain + ".slack.com/", "team": id.TeamName, "user": id.BotName,
		"team_id": id.TeamID, "user_id": id.BotUserID, "bot_id": id.BotID, "is_enterprise_install": false,
	})
}

func (f *Fake) chatPostMessage(c *Call) answer {
	ch := c.Param("channel")
	if ch == "" {
		return fail("channel_not_found")
	}
	if c.Param("text") == "" && c.Param("blocks") == "" && c.Param("attachments") == "" {
		return fail("no_text")
	}
	ts := f.tsLocked()
	return ok(map[string]any{"channel": ch, "ts": ts, "message": map[string]any{
		"type": "message", "text": c.Param("text"), "ts": ts,
		"user": f.identity.BotUserID, "bot_id": f.identity.BotID,
	}})
}

func (f *Fake) chatPostEphemeral(c *Call) answer {
	switch {
	case c.Param("channel") == "":
		return fail("channel_not_found")
	case c.Param("user") == "":
		return fail("user_not_in_channel")
	}
	return ok(map[string]any{"message_ts": f.tsLocked()})
}

func (f *Fake) chatUpdate(c *Call) answer {
	switch {
	case c.Param("channel") == "":
		return fail("channel_not_found")
	case c.Param("ts") == "":
		return fail("message_not_found")
	}
	return ok(map[string]any{"channel": c.Param("channel"), "ts": c.Param("ts"), "text": c.Param("text")})
}

func (f *Fake) usergroupsList(c *Call) answer {
	withUsers := c.Param("include_users") == "true"
	groups := make([]map[string]any, 0, len(f.groups))
	for _, g := range f.groups {
		m := map[string]any{
			"id": g.ID, "team_id": f.identity.TeamID, "is_usergroup": true,
			"name": g.Name, "handle": g.Handle, "user_count": len(g.Users),
		}
		if withUsers {
			m["users"] = nonNil(g.Users)
		}
		groups = append(groups, m)
	}
	return ok(map[string]any{"usergroups": groups})
}

func (f *Fake) usergroupsUsersList(c *Call) answer {
	id := c.Param("usergroup")
	for _, g := range f.groups {
		if g.ID == id {
			return ok(map[string]any{"users": nonNil(g.Users)})
		}
	}
	return fail("no_such_subteam")
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return slices.Clone(s)
}

func (f *Fake) filesGetUploadURLExternal(c *Call) answer {
	length, err := strconv.Atoi(c.Param("length"))
	if c.Param("filename") == "" || err != nil || length <= 0 {
		return fail("invalid_arguments")
	}
	id := fmt.Sprintf("F%06d", f.nextLocked())
	f.uploads = append(f.uploads, &Upload{FileID: id, Filename: c.Param("filename"), Length: length})
	return ok(map[string]any{"upload_url": f.srv.URL + uploadPrefix + id, "file_id": id})
}

func (f *Fake) filesCompleteUploadExternal(c *Call) answer {
	var files []struct {
		ID    string `json:"id"`
		Title string `json:"title"`
	}
	if err := json.Unmarshal([]byte(c.Param("files")), &files); err != nil || len(files) == 0 {
		return fail("invalid_arguments")
	}
	done := make([]*Upload, len(files))
	for i, file := range files {
		u := f.uploadLocked(file.ID)
		if u == nil || u.Content == nil {
			return fail("file_not_found")
		}
		done[i] = u
	}
	out := make([]map[string]any, len(files))
	for i, u := range done {
		u.Title, u.Completed = files[i].Title, true
		u.ChannelID = c.Param("channel_id")
		if u.ChannelID == "" {
			u.ChannelID = c.Param("channels")
		}
		u.ThreadTS, u.InitialComment = c.Param("thread_ts"), c.Param("initial_comment")
		out[i] = map[string]any{"id": u.FileID, "title": u.Title}
	}
	return ok(map[string]any{"files": out})
}

func (f *Fake) uploadLocked(id string) *Upload {
	for _, u := range f.uploads {
		if u.FileID == id {
			return u
		}
	}
	return nil
}

// serveUpload receives a file at an upload URL: a multipart form whose
// "file" part is the content.
func (f *Fake) serveUpload(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	id := strings.TrimPrefix(r.URL.Path, uploadPrefix)
	r.Body = http.MaxBytesReader(w, r.Body, maxRequestBytes)
	file, _, err := r.FormFile("file")
	if err != nil {
		http.Error(w, "no file part: "+err.Error(), http.StatusBadRequest)
		return
	}
	content, err := io.ReadAll(file)
	if err != nil {
		http.Error(w, "reading file: "+err.Error(), http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	u := f.uploadLocked(id)
	if u == nil {
		http.Error(w, "unknown upload", http.StatusNotFound)
		return
	}
	u.Content = append([]byte{}, content...)
	f.notifyLocked()
	w.Header().Set("Content-Type", "text/plain")
	_, _ = fmt.Fprintf(w, "OK - %d", len(content))
}

// serveResponseURL records a post to a response_url.
func (f *Fake) serveResponseURL(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	name, err := url.PathUnescape(strings.TrimPrefix(r.URL.EscapedPath(), responsePrefix))
	if err != nil {
		http.Error(w, "bad response_url", http.StatusNotFound)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBytes))
	if err != nil {
		http.Error(w, "reading body: "+err.Error(), http.StatusBadRequest)
		return
	}
	body = bytes.TrimSpace(body)

	f.mu.Lock()
	expired := f.expired[name]
	f.responses[name] = append(f.responses[name], ResponsePost{Body: body, Expired: expired})
	f.notifyLocked()
	f.mu.Unlock()

	w.Header().Set("Content-Type", "application/json")
	switch {
	case expired:
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, `{"ok":false,"error":"expired_url"}`)
	case !json.Valid(body):
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"ok":false,"error":"invalid_payload"}`)
	default:
		_, _ = io.WriteString(w, `{"ok":true}`)
	}
}
