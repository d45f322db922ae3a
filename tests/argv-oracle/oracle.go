// SPDX-License-Identifier: Apache-2.0

// The reference side of the argv differential: runc 1.1.5's command-line
// flags, declared as runc declares them, parsed by the urfave/cli library
// runc is built with (Debian's golang-github-urfave-cli-dev, 1.22.9, over
// Go's own flag package).  Reads one argv per line (words separated by
// tabs, argv[0] left out) and prints, per line, what runc would act on, in
// the format tests/argv-oracle/driver.c prints for ocigate's parser.
//
//	oracle gen [N SEED]  print the argv list (all 3-word tails, N samples)
//	oracle               parse the argvs on stdin
package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/urfave/cli"
)

// runc 1.1.5: main.go, create.go, run.go, restore.go, exec.go.  Fresh
// flags for every parse: a slice flag's Value is shared state.
func globalFlags() []cli.Flag {
	return []cli.Flag{
		cli.BoolFlag{Name: "debug"},
		cli.StringFlag{Name: "log"},
		cli.StringFlag{Name: "log-format", Value: "text"},
		cli.StringFlag{Name: "root", Value: "/run/runc"},
		cli.StringFlag{Name: "criu", Value: "criu"},
		cli.BoolFlag{Name: "systemd-cgroup"},
		cli.StringFlag{Name: "rootless", Value: "auto"},
	}
}

func createFlags() []cli.Flag {
	return []cli.Flag{
		cli.StringFlag{Name: "bundle, b", Value: ""},
		cli.StringFlag{Name: "console-socket"},
		cli.StringFlag{Name: "pid-file"},
		cli.BoolFlag{Name: "no-pivot"},
		cli.BoolFlag{Name: "no-new-keyring"},
		cli.IntFlag{Name: "preserve-fds"},
	}
}

func runFlags() []cli.Flag {
	return []cli.Flag{
		cli.StringFlag{Name: "bundle, b", Value: ""},
		cli.StringFlag{Name: "console-socket"},
		cli.BoolFlag{Name: "detach, d"},
		cli.BoolFlag{Name: "keep"},
		cli.StringFlag{Name: "pid-file"},
		cli.BoolFlag{Name: "no-subreaper"},
		cli.BoolFlag{Name: "no-pivot"},
		cli.BoolFlag{Name: "no-new-keyring"},
		cli.IntFlag{Name: "preserve-fds"},
	}
}

func restoreFlags() []cli.Flag {
	return []cli.Flag{
		cli.StringFlag{Name: "console-socket"},
		cli.StringFlag{Name: "image-path"},
		cli.StringFlag{Name: "work-path"},
		cli.BoolFlag{Name: "tcp-established"},
		cli.BoolFlag{Name: "ext-unix-sk"},
		cli.BoolFlag{Name: "shell-job"},
		cli.BoolFlag{Name: "file-locks"},
		cli.StringFlag{Name: "manage-cgroups-mode"},
		cli.StringFlag{Name: "bundle, b", Value: ""},
		cli.BoolFlag{Name: "detach,d"},
		cli.StringFlag{Name: "pid-file"},
		cli.BoolFlag{Name: "no-subreaper"},
		cli.BoolFlag{Name: "no-pivot"},
		cli.StringSliceFlag{Name: "empty-ns"},
		cli.BoolFlag{Name: "auto-dedup"},
		cli.BoolFlag{Name: "lazy-pages"},
		cli.StringFlag{Name: "lsm-profile"},
		cli.StringFlag{Name: "lsm-mount-context"},
	}
}

func execFlags() []cli.Flag {
	return []cli.Flag{
		cli.StringFlag{Name: "console-socket"},
		cli.StringFlag{Name: "cwd"},
		cli.StringSliceFlag{Name: "env, e"},
		cli.BoolFlag{Name: "tty, t"},
		cli.StringFlag{Name: "user, u"},
		cli.Int64SliceFlag{Name: "additional-gids, g"},
		cli.StringFlag{Name: "process, p"},
		cli.BoolFlag{Name: "detach,d"},
		cli.StringFlag{Name: "pid-file", Value: ""},
		cli.StringFlag{Name: "process-label"},
		cli.StringFlag{Name: "apparmor"},
		cli.BoolFlag{Name: "no-new-privs"},
		cli.StringSliceFlag{Name: "cap, c", Value: &cli.StringSlice{}},
		cli.IntFlag{Name: "preserve-fds"},
		cli.StringSliceFlag{Name: "cgroup"},
		cli.BoolFlag{Name: "ignore-paused"},
	}
}

var out string

var errPassthrough = errors.New("passed through")

func global(c *cli.Context, name string) string {
	if !c.GlobalIsSet(name) {
		return "~"
	}
	return c.GlobalString(name)
}

func boolField(c *cli.Context, name string) string {
	if !c.IsSet(name) {
		return "~"
	}
	return strconv.FormatBool(c.Bool(name))
}

func record(exact bool) func(c *cli.Context) error {
	return func(c *cli.Context) error {
		// runc's checkArgs: create, run and restore take exactly one
		// argument, exec at least one.
		if c.NArg() < 1 || (exact && c.NArg() != 1) {
			return fmt.Errorf("bad argument count")
		}
		f := []string{c.Command.Name, "ok",
			"root=" + global(c, "root"), "log=" + global(c, "log"),
			"log-format=" + global(c, "log-format"),
			"id=" + c.Args().First(), "nargs=" + strconv.Itoa(c.NArg()),
			"args=" + strings.Join(c.Args(), "|")}
		if c.Command.Name == "exec" {
			// A set: urfave copies `-g 5` onto the shared slice of
			// `--additional-gids` too, so runc applies [5 5].
			seen := map[int64]bool{}
			var ids []int64
			for _, g := range c.Int64Slice("additional-gids") {
				if !seen[g] {
					seen[g] = true
					ids = append(ids, g)
				}
			}
			sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
			gids := []string{}
			for _, g := range ids {
				gids = append(gids, strconv.FormatInt(g, 10))
			}
			f = append(f, "process="+c.String("process"),
				"user="+c.String("user"), "cwd="+c.String("cwd"),
				"apparmor="+c.String("apparmor"),
				"process-label="+c.String("process-label"),
				"tty="+boolField(c, "tty"),
				"no-new-privs="+boolField(c, "no-new-privs"),
				"cap="+strings.Join(c.StringSlice("cap"), "|"),
				"env="+strings.Join(c.StringSlice("env"), "|"),
				"gids="+strings.Join(gids, "|"),
				"cgroup="+strings.Join(c.StringSlice("cgroup"), "|"),
				"detach="+boolField(c, "detach"),
				"preserve-fds="+strconv.Itoa(c.Int("preserve-fds")))
		} else {
			f = append(f, "bundle="+c.String("bundle"))
			if c.Command.Name == "restore" {
				f = append(f, "image-path="+c.String("image-path"),
					"empty-ns="+strings.Join(c.StringSlice("empty-ns"), "|"),
					"lsm-profile="+c.String("lsm-profile"))
			}
		}
		out = strings.Join(f, "\t")
		return nil
	}
}

func newApp() *cli.App {
	app := cli.NewApp()
	app.Name = "runc"
	app.Version = "1.1.5"
	app.Writer = io.Discard
	app.ErrWriter = io.Discard
	app.Flags = globalFlags()
	app.Commands = []cli.Command{
		{Name: "create", Flags: createFlags(), Action: record(true)},
		{Name: "run", Flags: runFlags(), Action: record(true)},
		{Name: "restore", Flags: restoreFlags(), Action: record(true)},
		{Name: "exec", Flags: execFlags(), Action: record(false), SkipArgReorder: true},
	}
	// The gate passes every other command through, urfave's own help
	// command included.  Before runs after the global flags are parsed and
	// the global --help/--version checked, just before the dispatch.
	app.Before = func(c *cli.Context) error {
		switch {
		case !c.Args().Present():
			out = "none"
		case c.Args().First() == "create", c.Args().First() == "run",
			c.Args().First() == "restore", c.Args().First() == "exec":
			return nil
		default:
			out = "other"
		}
		return errPassthrough
	}
	return app
}

var tails = []string{
	"ID", "B", "-", "--", "-x", "---bundle", "", "true", "1", "0:0", "0x1",
	"--bundle", "-b", "-bundle", "--bundle=B", "--bundle=", "--process", "-p",
	"--process=P", "--pid-file", "-d", "--detach=false", "--no-pivot",
	"--preserve-fds", "--help", "-h", "--help=false", "--cap", "-c", "--user",
	"-u", "--no-new-privs", "--no-new-privs=false", "-t", "-g", "--cgroup",
	"--root", "--image-path", "--empty-ns", "--bogus",
}

var globals = []string{
	"--root", "-root=/r", "/r", "--log", "--log=", "--log-format", "json",
	"--debug", "--debug=false", "--rootless", "--rootless=auto", "--systemd-cgroup",
	"--help", "-h", "-v", "--version=false", "--", "-", "--bogus",
	"create", "run", "exec", "restore", "start", "help", "h",
}

var commands = []string{"create", "run", "restore", "exec"}

func gen(samples int, seed int64) {
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	// Every command followed by every 3-word tail.
	for _, c := range commands {
		for _, a := range tails {
			for _, b := range tails {
				for _, d := range tails {
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", c, a, b, d)
				}
			}
		}
	}
	// Every 3-word argv over global flags and command words.
	for _, a := range globals {
		for _, b := range globals {
			for _, d := range globals {
				fmt.Fprintf(w, "%s\t%s\t%s\n", a, b, d)
			}
		}
	}
	// Longer ones: a few global words, a command, 2 to 7 tail words.
	r := rand.New(rand.NewSource(seed))
	for i := 0; i < samples; i++ {
		var v []string
		for n := r.Intn(3); n > 0; n-- {
			v = append(v, globals[r.Intn(len(globals))])
		}
		v = append(v, commands[r.Intn(len(commands))])
		for n := 2 + r.Intn(6); n > 0; n-- {
			v = append(v, tails[r.Intn(len(tails))])
		}
		fmt.Fprintln(w, strings.Join(v, "\t"))
	}
}

func main() {
	// Help and version text is not what is compared; rendering its
	// templates would take most of the time.
	cli.HelpPrinter = func(io.Writer, string, interface{}) {}
	cli.VersionPrinter = func(*cli.Context) {}
	if len(os.Args) > 1 && os.Args[1] == "gen" {
		samples, seed := 100000, int64(1)
		if len(os.Args) > 3 {
			samples, _ = strconv.Atoi(os.Args[2])
			seed, _ = strconv.ParseInt(os.Args[3], 10, 64)
		}
		gen(samples, seed)
		return
	}
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<20)
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	for in.Scan() {
		out = "help" // runc printed its help or version, ran nothing
		err := newApp().Run(append([]string{"runc"}, strings.Split(in.Text(), "\t")...))
		if err != nil && err != errPassthrough {
			out = "err"
		}
		fmt.Fprintln(w, out)
	}
}
