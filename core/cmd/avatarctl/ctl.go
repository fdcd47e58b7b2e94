package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	authv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/auth/v1"
	"github.com/avatar-fi/avatar/protocol/gen/go/avatar/auth/v1/authv1connect"
	knowledgev1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/knowledge/v1"
	orgv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/org/v1"
	"github.com/avatar-fi/avatar/protocol/gen/go/avatar/org/v1/orgv1connect"
	scenariov1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/scenario/v1"
)

var errUsage = errors.New("usage")

const usage = `usage: avatarctl [-core URL] <command> [flags]
commands:
  create-dealership -name NAME
  create-user -dealership ID -email EMAIL -role trainee|admin|super [-name NAME] [-password PW | AVATAR_NEW_PASSWORD]
  create-api-key -name NAME -role trainee|admin|super|edge [-dealership ID] [-expires 720h]
  list-users [-dealership ID]
  list-dealerships
  upload-document -file PATH [-title TITLE] [-tags a,b] [-dealership ID]   (waits until READY or FAILED)
  list-documents [-dealership ID]
  list-scenarios [-dealership ID]
  copy-scenario -from ID|TITLE WORDS [-title TITLE] [-dealership ID]   (a dealership's own copy to edit)
  chat [-mode role-play|coach] [-scenario ID|TITLE WORDS] [-edge URL]   (a text session on an edge: one line a turn; /end or end of input grades it)
credentials: AVATAR_API_KEY, or AVATAR_EMAIL and AVATAR_PASSWORD (and AVATAR_TOTP_CODE); the edge: AVATAR_EDGE_URL
`

var roles = map[string]orgv1.Role{
	"super": orgv1.Role_ROLE_SUPER_ADMIN, "admin": orgv1.Role_ROLE_DEALERSHIP_ADMIN,
	"trainee": orgv1.Role_ROLE_TRAINEE, "edge": orgv1.Role_ROLE_EDGE_SERVICE,
}

// run is avatarctl without the process: it returns the exit code (0 ok, 1 failure,
// 2 usage).
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	err := dispatch(ctx, args, getenv, stdin, stdout, stderr)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errUsage) || errors.Is(err, flag.ErrHelp):
		fmt.Fprint(stderr, usage)
		if !errors.Is(err, flag.ErrHelp) && err.Error() != errUsage.Error() {
			fmt.Fprintf(stderr, "avatarctl: %v\n", err)
		}
		return 2
	default:
		fmt.Fprintf(stderr, "avatarctl: %v\n", err)
		return 1
	}
}

func dispatch(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	global := flag.NewFlagSet("avatarctl", flag.ContinueOnError)
	global.SetOutput(io.Discard)
	coreURL := global.String("core", orDefault(getenv("AVATAR_CORE_URL"), "http://localhost:8080"), "core URL")
	if err := global.Parse(args); err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	rest := global.Args()
	if len(rest) == 0 {
		return errUsage
	}
	cmd, cargs := rest[0], rest[1:]
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	name := fs.String("name", "", "name")
	dealership := fs.String("dealership", "", "dealership id")
	email := fs.String("email", "", "email")
	role := fs.String("role", "", "role")
	pw := fs.String("password", getenv("AVATAR_NEW_PASSWORD"), "new user's password")
	expires := fs.Duration("expires", 0, "API key lifetime")
	file := fs.String("file", "", "document to upload")
	title := fs.String("title", "", "document title")
	tags := fs.String("tags", "", "comma-separated document tags")
	edgeURL := fs.String("edge", orDefault(getenv("AVATAR_EDGE_URL"), "http://localhost:8090"), "edge URL (chat)")
	mode := fs.String("mode", "role-play", "chat mode: role-play or coach")
	scenario := fs.String("scenario", "", "scenario id, or words of its title (chat -mode role-play)")
	from := fs.String("from", "", "scenario to copy: id or words of its title")
	if err := fs.Parse(cargs); err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	c := &client{http: &http.Client{Timeout: 30 * time.Second}, url: strings.TrimRight(*coreURL, "/")}
	if err := c.authenticate(ctx, getenv); err != nil {
		return err
	}
	var out proto.Message
	var err error
	switch cmd {
	case "create-dealership":
		var res *connect.Response[orgv1.CreateDealershipResponse]
		res, err = c.org().CreateDealership(ctx, authed(c, &orgv1.CreateDealershipRequest{Name: *name}))
		out = msg(res)
	case "create-user":
		r, ok := roles[*role]
		if !ok {
			return fmt.Errorf("%w: -role must be trainee, admin or super", errUsage)
		}
		var res *connect.Response[orgv1.CreateUserResponse]
		res, err = c.org().CreateUser(ctx, authed(c, &orgv1.CreateUserRequest{DealershipId: *dealership, Email: *email, Password: *pw, Role: r, DisplayName: *name}))
		out = msg(res)
	case "create-api-key":
		r, ok := roles[*role]
		if !ok {
			return fmt.Errorf("%w: -role must be trainee, admin, super or edge", errUsage)
		}
		in := &authv1.CreateApiKeyRequest{Name: *name, Role: r, DealershipId: *dealership}
		if *expires > 0 {
			in.ExpireTime = timestamppb.New(time.Now().Add(*expires))
		}
		var res *connect.Response[authv1.CreateApiKeyResponse]
		res, err = c.auth().CreateApiKey(ctx, authed(c, in))
		out = msg(res)
	case "list-users":
		var res *connect.Response[orgv1.ListUsersResponse]
		res, err = c.org().ListUsers(ctx, authed(c, &orgv1.ListUsersRequest{DealershipId: *dealership, PageSize: 500}))
		out = msg(res)
	case "list-dealerships":
		var res *connect.Response[orgv1.ListDealershipsResponse]
		res, err = c.org().ListDealerships(ctx, authed(c, &orgv1.ListDealershipsRequest{PageSize: 500}))
		out = msg(res)
	case "upload-document":
		if *file == "" {
			return fmt.Errorf("%w: -file is required", errUsage)
		}
		out, err = c.upload(ctx, *file, *title, splitTags(*tags), *dealership)
	case "list-scenarios":
		var res *connect.Response[scenariov1.ListScenariosResponse]
		req := authed(c, &scenariov1.ListScenariosRequest{PageSize: 200})
		forDealership(req.Header(), *dealership)
		res, err = c.scenarios().ListScenarios(ctx, req)
		out = msg(res)
	case "copy-scenario":
		var src *scenariov1.Scenario
		if src, err = c.findScenario(ctx, *from); err != nil {
			return err
		}
		req := authed(c, &scenariov1.CreateScenarioRequest{CopyFromId: src.GetId(), Scenario: &scenariov1.Scenario{Title: *title}})
		forDealership(req.Header(), *dealership)
		var res *connect.Response[scenariov1.CreateScenarioResponse]
		res, err = c.scenarios().CreateScenario(ctx, req)
		out = msg(res)
	case "chat":
		return c.chat(ctx, chatOptions{edge: strings.TrimRight(*edgeURL, "/"), mode: *mode, scenario: *scenario}, stdin, stdout)
	case "list-documents":
		req := authed(c, &knowledgev1.ListDocumentsRequest{PageSize: 100})
		forDealership(req.Header(), *dealership)
		var res *connect.Response[knowledgev1.ListDocumentsResponse]
		res, err = c.knowledge().ListDocuments(ctx, req)
		out = msg(res)
	default:
		return fmt.Errorf("%w: unknown command %q", errUsage, cmd)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", cmd, err)
	}
	b, err := protojson.MarshalOptions{Multiline: true}.Marshal(out)
	if err != nil {
		return fmt.Errorf("encode answer: %w", err)
	}
	_, err = fmt.Fprintln(stdout, string(b))
	return err
}

func msg[T any, PT interface {
	*T
	proto.Message
}](res *connect.Response[T]) proto.Message {
	if res == nil {
		return nil
	}
	return PT(res.Msg)
}

type client struct {
	http  *http.Client
	url   string
	token string
}

func (c *client) org() orgv1connect.OrgServiceClient {
	return orgv1connect.NewOrgServiceClient(c.http, c.url)
}

func (c *client) auth() authv1connect.AuthServiceClient {
	return authv1connect.NewAuthServiceClient(c.http, c.url)
}

// authed builds a request carrying the client's bearer credential.
func authed[T any](c *client, m *T) *connect.Request[T] {
	r := connect.NewRequest(m)
	r.Header().Set("Authorization", "Bearer "+c.token)
	r.Header().Set("User-Agent", "avatarctl")
	return r
}

// authenticate takes AVATAR_API_KEY, or logs in with AVATAR_EMAIL and AVATAR_PASSWORD.
func (c *client) authenticate(ctx context.Context, getenv func(string) string) error {
	if k := getenv("AVATAR_API_KEY"); k != "" {
		c.token = k
		return nil
	}
	email, pw := getenv("AVATAR_EMAIL"), getenv("AVATAR_PASSWORD")
	if email == "" || pw == "" {
		return fmt.Errorf("%w: set AVATAR_API_KEY, or AVATAR_EMAIL and AVATAR_PASSWORD", errUsage)
	}
	res, err := c.auth().Login(ctx, connect.NewRequest(&authv1.LoginRequest{Email: email, Password: pw, TotpCode: getenv("AVATAR_TOTP_CODE")}))
	if err != nil {
		return fmt.Errorf("login: %w", err)
	}
	c.token = res.Msg.AccessToken
	return nil
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
