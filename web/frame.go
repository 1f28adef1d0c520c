package web

import (
	"bytes"
	"fmt"
	"html/template"
	"sync"
)

// The layout around every page (title, organisation, links) is the same
// for every request of a page, and html/template's escapers, called by
// reflection around each action, were 44 % of a set-password page's CPU.
// So the layout is rendered once per page and title, with a mark where
// the page's content goes, and a request renders only the content.
// frame_test.go checks that the bytes are those of the whole template.

// contentMark stands for the content in a rendered layout.
const contentMark = "\x00roster-content\x00"

// maxFrames bounds the cache: titles come from the code, but a
// configuration with many organisations or roots must not grow it forever.
const maxFrames = 256

type frame struct{ head, tail []byte }

type frameKey struct{ title, org, root, css string }

// frames renders and keeps layouts.
type frames struct {
	shell *template.Template // the layout with the mark as its content
	mu    sync.RWMutex
	byKey map[frameKey]frame
}

func loadFrames(funcs template.FuncMap) (*frames, error) {
	t, err := template.New("layout.html").Funcs(funcs).ParseFS(assets, "templates/layout.html")
	if err == nil {
		_, err = t.New("content").Parse(contentMark)
	}
	if err != nil {
		return nil, fmt.Errorf("web: layout: %w", err)
	}
	return &frames{shell: t, byKey: map[frameKey]frame{}}, nil
}

// get returns the layout rendered for v's title, organisation and root.
func (f *frames) get(v *view) (frame, error) {
	k := frameKey{v.Title, v.Org, v.Root, v.CSSVersion}
	f.mu.RLock()
	fr, ok := f.byKey[k]
	f.mu.RUnlock()
	if ok {
		return fr, nil
	}
	var buf bytes.Buffer
	if err := f.shell.Execute(&buf, v); err != nil {
		return frame{}, err
	}
	head, tail, ok := bytes.Cut(buf.Bytes(), []byte(contentMark))
	if !ok {
		return frame{}, fmt.Errorf("web: the layout lost its content mark")
	}
	fr = frame{head: head, tail: tail}
	f.mu.Lock()
	if len(f.byKey) < maxFrames {
		f.byKey[k] = fr
	}
	f.mu.Unlock()
	return fr, nil
}

// execute renders page name for v into buf: the cached layout around the
// page's own content template.
func (p *pages) execute(buf *bytes.Buffer, name string, v *view) error {
	fr, err := p.frames.get(v)
	if err != nil {
		return err
	}
	buf.Write(fr.head)
	if err := p.byName[name].ExecuteTemplate(buf, "content", v); err != nil {
		return err
	}
	buf.Write(fr.tail)
	return nil
}
