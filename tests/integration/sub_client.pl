#!/usr/bin/perl
# sub_client.pl - a wmsd event subscriber without nng: the SP wire protocol over a plain TCP
# socket (PROTOCOL.md section 8.3), in core Perl (perl-base modules only: no JSON module).
#
#   sub_client.pl [--timeout SECS] HOST PORT COUNT   subscribe, print COUNT events, check them
#   sub_client.pl [--timeout SECS] --ping HOST PORT  one REQ ping, check the request id echo
#
# Subscriber: sends the SUB handshake (00 'S' 'P' 00, protocol 0x21, 00 00), expects the PUB's
# (protocol 0x20), sends nothing else (subscriptions are a filter in the subscriber), then
# reads messages: a 64-bit big-endian length, then the payload "type {json}". Each event must
# be valid JSON whose "type" is the prefix and whose "seq" is larger than the previous one.
# Each is printed as received, one per line.
#
# Exit status: 0 ok, 1 the stream broke a rule (message on stderr), 2 usage, 3 no connection or
# nothing within the timeout.
use strict;
use warnings;
use IO::Socket::INET;
use IO::Select;
use Getopt::Long;

my $timeout = 30;
my $ping = 0;
GetOptions('timeout=i' => \$timeout, 'ping' => \$ping) or exit 2;
my ($host, $port, $count) = @ARGV;
if (!defined $port || (!$ping && !(defined $count && $count =~ /^\d+$/))) {
	print STDERR "usage: sub_client.pl [--timeout SECS] HOST PORT COUNT | --ping HOST PORT\n";
	exit 2;
}
my $deadline = time + $timeout;
my $MAX_MESSAGE = 16 << 20;

sub fail { print STDERR "sub_client: $_[0]\n"; exit 1; }
sub gone { print STDERR "sub_client: $_[0]\n"; exit 3; }

my $sock = IO::Socket::INET->new(PeerAddr => $host, PeerPort => $port, Proto => 'tcp',
                                 Timeout => $timeout)
	or gone("cannot connect to $host:$port: $!");
binmode $sock;
my $sel = IO::Select->new($sock);

# Reads exactly N bytes, within the deadline.
sub read_exactly {
	my ($n) = @_;
	my $buf = '';
	while (length($buf) < $n) {
		my $left = $deadline - time;
		gone("timed out after ${timeout}s") if $left <= 0 || !$sel->can_read($left);
		my $r = sysread($sock, $buf, $n - length($buf), length($buf));
		gone("connection closed by the engine") unless $r;
	}
	return $buf;
}

sub write_all {
	my ($data) = @_;
	while (length $data) {
		my $w = syswrite($sock, $data);
		gone("write: $!") unless defined $w;
		substr($data, 0, $w) = '';
	}
}

# One message: the 64-bit length, then the payload.
sub read_message {
	my ($hi, $lo) = unpack('NN', read_exactly(8));
	my $len = $hi * 4294967296 + $lo;
	fail("message of $len bytes is beyond the ${MAX_MESSAGE}-byte bound") if $len > $MAX_MESSAGE;
	return $len ? read_exactly($len) : '';
}

sub handshake {
	my ($mine, $peer) = @_;
	write_all(pack('C4 n C2', 0, ord 'S', ord 'P', 0, $mine, 0, 0));
	my $got = read_exactly(8);
	my $want = pack('C4 n C2', 0, ord 'S', ord 'P', 0, $peer, 0, 0);
	fail(sprintf("handshake: expected %s, got %s", unpack('H*', $want), unpack('H*', $got)))
		if $got ne $want;
}

# A JSON text by RFC 8259's grammar (recursive pattern; values are bounded by $MAX_MESSAGE).
my $JSON = qr{
	(?(DEFINE)
		(?<ws>     [\x20\x09\x0a\x0d]* )
		(?<value>  (?&ws) (?: (?&object) | (?&array) | (?&string) | (?&number)
		                    | true | false | null ) (?&ws) )
		(?<object> \{ (?&ws) (?: (?&string) (?&ws) : (?&value)
		                         (?: , (?&ws) (?&string) (?&ws) : (?&value) )* )? \} )
		(?<array>  \[ (?&ws) (?: (?&value) (?: , (?&value) )* )? \] )
		(?<string> " (?: [^"\\\x00-\x1f] | \\ (?: ["\\/bfnrt] | u[0-9A-Fa-f]{4} ) )* " )
		(?<number> -? (?: 0 | [1-9][0-9]* ) (?: \. [0-9]+ )? (?: [eE] [-+]? [0-9]+ )? )
	)
	\A (?&value) \z
}x;

if ($ping) {
	handshake(0x30, 0x31);    # REQ to REP
	my $id = 0x80000000 | int(rand(0x7fffffff));
	my $body = pack('N', $id) . '{"op":"ping"}';
	write_all(pack('NN', 0, length $body) . $body);
	my $reply = read_message();
	fail("reply of " . length($reply) . " bytes has no request id") if length($reply) < 4;
	my $echo = unpack('N', substr($reply, 0, 4, ''));
	fail(sprintf("reply id %08x, request id %08x", $echo, $id)) if $echo != $id;
	fail("reply is not JSON: $reply") unless $reply =~ $JSON;
	fail("reply is not ok: $reply") unless $reply =~ /"ok":true/;
	printf "id %08x echoed: %s\n", $id, $reply;
	exit 0;
}

handshake(0x21, 0x20);    # SUB to PUB
$| = 1;
my $last = -1;
for my $i (1 .. $count) {
	my $msg = read_message();
	my ($type, $json) = $msg =~ /\A([^ ]+) (.*)\z/s
		or fail("event $i is not \"type SPACE json\": $msg");
	fail("event $i: not JSON after the space: $json") unless $json =~ $JSON;
	my ($jtype) = $json =~ /\A\{.*?"type":"([^"]*)"/s;
	fail("event $i: type '$type' before the space, '" . ($jtype // '') . "' in the JSON")
		unless defined $jtype && $jtype eq $type;
	my ($seq) = $json =~ /\A\{.*?"seq":([0-9]+)/s
		or fail("event $i has no seq: $json");
	fail("event $i: seq $seq after $last") if $seq <= $last;
	$last = $seq;
	print "$msg\n";
}
exit 0;
