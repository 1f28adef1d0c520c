"""Client checks with python3-ldap3, run by ldap/clients_test.go.

usage: client.py HOST PORT BIND_DN PASSWORD BASE

Prints one line per check, "NAME ok" or "NAME FAIL detail"; the Go test
reads them. Exits 0 even when a check fails, so that every check runs.
"""
import sys

from ldap3 import ASYNC, SUBTREE, Connection, Server

host, port, bind_dn, password, base = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
people, groups = "ou=people," + base, "ou=groups," + base
ada = "uid=ada," + people


def report(name, ok, detail=""):
    print(name, "ok" if ok else "FAIL " + detail, flush=True)


server = Server(host, port=port, get_info="NO_INFO")
conn = Connection(server, bind_dn, password, auto_bind=True, raise_exceptions=False)

# Compare: membership as Apache and others check it.
r = conn.compare("cn=staff," + groups, "member", ada)
report("compare-member", r is True and conn.result["result"] == 6, str(conn.result))
r = conn.compare("cn=staff," + groups, "member", "uid=carl," + people)
report("compare-nonmember", r is False and conn.result["result"] == 5, str(conn.result))
conn.compare("uid=nobody," + people, "uid", "nobody")
report("compare-nosuchobject", conn.result["result"] == 32, str(conn.result))

# Paged search: every person once, two a page.
entries = conn.extend.standard.paged_search(people, "(objectClass=person)", SUBTREE, attributes=["uid"],
                                            paged_size=2, generator=False)
uids = sorted(e["attributes"]["uid"][0] for e in entries if e.get("type") == "searchResEntry")
report("paged-search", uids == ["ada", "bob", "carl", "svc"], str(uids))

# Extensible match with :dn:.
conn.search(base, "(ou:dn:=people)", SUBTREE, attributes=["1.1"])
found = sorted(e.entry_dn for e in conn.entries)
want = sorted([people] + ["uid=%s,%s" % (u, people) for u in ("ada", "bob", "carl", "svc")])
report("dn-filter", found == want, str(found))

# Abandon: start a search on an asynchronous connection, abandon it, and
# go on using the connection.
aconn = Connection(server, bind_dn, password, client_strategy=ASYNC, auto_bind=True, raise_exceptions=False)
msg = aconn.search(base, "(objectClass=*)", SUBTREE, attributes=["*", "+"])
aconn.abandon(msg)
msg2 = aconn.search(ada, "(objectClass=*)", "BASE", attributes=["uid"])
resp, result = aconn.get_response(msg2, timeout=20)
report("abandon-then-search", result["result"] == 0 and len(resp) == 1, str(result))
aconn.unbind()
conn.unbind()
