package messaging

import (
	"strings"
	"testing"
)

func TestParseEmailPlainLF(t *testing.T) {
	ids := NewMessageIDs([]byte("key"))
	ours := ids.For(42, "billing@switchboard.demo")
	raw := "From: Ada Lovelace <ada@example.org>\nTo: billing@switchboard.demo\nSubject: =?UTF-8?Q?Re:_Gr=C3=BC=C3=9Fe?=\n" +
		"Message-ID: <CAF1234@mail.gmail.com>\nIn-Reply-To: " + ours + "\nReferences: <a@x>\n " + ours + "\n" +
		"Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\nDanke, gr=FC=DFe.\n"
	e, err := ParseEmail([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if e.From != "ada@example.org" || e.Subject != "Re: Grüße" || e.Text != "Danke, grüße." || strings.Join(e.To, ",") != "billing@switchboard.demo" {
		t.Errorf("parsed %+v", e)
	}
	if len(e.InReplyTo) != 1 || e.InReplyTo[0] != ours || strings.Join(e.References, " ") != "<a@x> "+ours {
		t.Errorf("thread headers %v / %v", e.InReplyTo, e.References)
	}
}

func TestMessageIDs(t *testing.T) {
	ids := NewMessageIDs([]byte("key"))
	id := ids.For(42, "billing@switchboard.demo")
	if n, ok := ids.Verify(id); !ok || n != 42 {
		t.Fatalf("Verify(%s) = %d, %v", id, n, ok)
	}
	for _, bad := range []string{
		strings.Replace(id, "sb.42.", "sb.43.", 1),                // another message, same MAC
		strings.Replace(id, id[len(id)-30:len(id)-26], "0000", 1), // a changed MAC
		NewMessageIDs([]byte("other key")).For(42, "billing@switchboard.demo"),
		"<CAF1234@mail.gmail.com>", "<sb.42@x>", "",
	} {
		if n, ok := ids.Verify(bad); ok {
			t.Errorf("Verify(%q) accepted message %d", bad, n)
		}
	}
}
