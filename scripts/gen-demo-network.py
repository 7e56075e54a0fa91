#!/usr/bin/env python3
"""Generate engine/demo/network.json, the demo network `make run` seeds an empty store with.

A developer tool (the build never runs it): Python 3 standard library only and deterministic
(fixed seed), so regenerating without changes gives the same file byte for byte.

    python3 scripts/gen-demo-network.py [--out engine/demo/network.json] [--seed N]

The network: a US 3PL with three warehouses (Newark NJ, Chicago IL, Reno NV), two client
brands (Acme Apparel, Globex Beauty), a few hundred items with valid GS1 GTINs (and case
GTIN-14s for some), and stock spread so that allocation has real choices: most items in two
warehouses, some in all three, some in one; ABC slotting (fast movers in the aisles nearest the
depot, on the golden-zone levels); lot-tracked cosmetics with expiry dates, a few of them
expiring within weeks of 2026-11-24.

The file is the format of wms-protocol/include/wms/network.h: {"tenants":[...],
"warehouses":[...], "items":[...], "stock":[...]}, each element exactly what tenant.put,
warehouse.put, item.put take and the fields of stock.receive. It is written one element per
line. Location codes are canonical (see engine/src/wh.c): block letter, aisle (2 digits, 3 when
the layout has more than 99 aisles), bay (2 digits, 3 when 2 * slots_per_side > 99), level.
"""

import argparse
import datetime
import json
import os
import random
import sys

SEED = 20261124
TODAY = datetime.date(2026, 11, 24)  # the demo's "now": short-dated lots are relative to it

# ---------------------------------------------------------------------------------------------
# GS1 check digits

def gs1_check_digit(body):
    """The GS1 mod-10 check digit of BODY (all digits of the code except the check digit)."""
    total = 0
    for i, ch in enumerate(reversed(body)):
        total += int(ch) * (3 if i % 2 == 0 else 1)
    return str((10 - total % 10) % 10)


def gtin_valid(code):
    return code.isdigit() and len(code) in (8, 12, 13, 14) and \
        gs1_check_digit(code[:-1]) == code[-1]


def case_gtin14(unit_gtin, indicator):
    """The GTIN-14 of a case of UNIT_GTIN: indicator digit, the unit's first 12 digits in its
    GTIN-13 form (a GTIN-12 gets a leading zero), a recomputed check digit."""
    assert 1 <= indicator <= 8
    g13 = unit_gtin.rjust(13, "0")
    body = str(indicator) + g13[:12]
    return body + gs1_check_digit(body)


# ---------------------------------------------------------------------------------------------
# Tenants

TENANTS = [
    {"id": "acme", "name": "Acme Apparel", "allow_split": True},
    {"id": "globex", "name": "Globex Beauty", "allow_split": False},
]

# ---------------------------------------------------------------------------------------------
# Warehouses

MON_FRI = ["mon", "tue", "wed", "thu", "fri"]
MON_SAT = MON_FRI + ["sat"]


def carrier(name, service, cutoff, transit, cost, days):
    return {"carrier": name, "service": service, "cutoff": cutoff, "transit_days": transit,
            "cost": cost, "days": days}


WAREHOUSES = [
    {
        "id": "EWR1",
        "name": "Newark NJ Fulfillment Center",
        "timezone": "America/New_York",
        "location": {"lat": 40.7036, "lon": -74.1536},
        "layout": {"aisles": 24, "blocks": 1, "slots_per_side": 40, "slot_length": 1.2,
                   "aisle_spacing": 3.5, "end_gap": 1.5, "levels": 4,
                   "depot": {"aisle": 12, "offset": 3.0}},
        "carriers": [
            carrier("UPS", "standard", "17:00", 4, 7.45, MON_FRI),
            carrier("UPS", "express", "17:00", 2, 15.80, MON_FRI),
            carrier("UPS", "next_day", "15:30", 1, 24.00, MON_FRI),
            carrier("USPS", "standard", "18:00", 5, 5.90, MON_SAT),
            carrier("USPS", "express", "18:00", 2, 9.85, MON_SAT),
        ],
        "pack_stations": ["PS-%02d" % i for i in range(1, 9)],
    },
    {
        "id": "ORD1",
        "name": "Chicago IL Fulfillment Center",
        "timezone": "America/Chicago",
        "location": {"lat": 41.9920, "lon": -87.9723},
        "layout": {"aisles": 20, "blocks": 2, "slots_per_side": 30, "slot_length": 1.25,
                   "aisle_spacing": 3.6, "end_gap": 2.0, "levels": 5,
                   "depot": {"aisle": 10, "offset": 4.0}},
        "carriers": [
            carrier("FedEx", "standard", "18:00", 3, 7.10, MON_SAT),
            carrier("FedEx", "express", "17:00", 2, 14.60, MON_FRI),
            carrier("FedEx", "next_day", "15:00", 1, 22.50, MON_FRI),
            carrier("UPS", "standard", "17:30", 3, 7.35, MON_FRI),
            carrier("USPS", "standard", "18:00", 4, 6.10, MON_SAT),
        ],
        "pack_stations": ["PS-%02d" % i for i in range(1, 13)],
    },
    {
        "id": "RNO1",
        "name": "Reno NV Fulfillment Center",
        "timezone": "America/Los_Angeles",
        "location": {"lat": 39.5372, "lon": -119.7380},
        "layout": {"aisles": 32, "blocks": 1, "slots_per_side": 55, "slot_length": 1.1,
                   "aisle_spacing": 3.4, "end_gap": 1.5, "levels": 3,
                   "depot": {"aisle": 1, "offset": 3.0, "shift": 1.7}},
        "carriers": [
            carrier("UPS", "standard", "16:00", 5, 7.95, MON_FRI),
            carrier("UPS", "express", "16:00", 2, 17.20, MON_FRI),
            carrier("FedEx", "standard", "17:00", 5, 7.80, MON_SAT),
            carrier("FedEx", "express", "17:00", 2, 16.90, MON_FRI),
        ],
        "pack_stations": ["PS-%02d" % i for i in range(1, 7)],
    },
]


def location_code(layout, block, aisle, bay, level):
    aw = 3 if layout["aisles"] > 99 else 2
    bw = 3 if 2 * layout["slots_per_side"] > 99 else 2
    lw = 2 if layout.get("levels", 1) > 9 else 1
    return "%s%0*d-%0*d-%0*d" % (chr(ord("A") + block), aw, aisle, bw, bay, lw, level)


def location_count(layout):
    return (layout["aisles"] * layout.get("blocks", 1) * 2 * layout["slots_per_side"] *
            layout.get("levels", 1))


class Slotter:
    """Hands out free locations of one warehouse by ABC class: A in the aisles nearest the
    depot (front half of the aisle, golden-zone levels), B in the next aisles, C further."""

    def __init__(self, wh, rng):
        self.layout = wh["layout"]
        self.rng = rng
        self.used = set()
        lay = self.layout
        depot = lay.get("depot", {}).get("aisle", 1)
        block_depth = lay["slots_per_side"] * lay["slot_length"] + 2 * lay.get("end_gap", 0)
        # Aisle segments (block, aisle) ordered by the walk from the depot to their front end.
        segs = [(b, a) for b in range(lay.get("blocks", 1))
                for a in range(1, lay["aisles"] + 1)]
        segs.sort(key=lambda s: (abs(s[1] - depot) * lay["aisle_spacing"] + s[0] * block_depth,
                                 s[1] < depot, s))
        n = len(segs)
        a_n = max(3, n // 6)
        b_n = max(4, n // 3)
        self.zones = {"A": segs[:a_n], "B": segs[a_n:a_n + b_n], "C": segs[a_n + b_n:]}

    def take(self, cls):
        lay = self.layout
        levels = lay.get("levels", 1)
        bays = 2 * lay["slots_per_side"]
        for _ in range(10000):
            block, aisle = self.rng.choice(self.zones[cls])
            if cls == "A":
                # Fast movers: the front half of the aisle, waist-high levels.
                bay = self.rng.randint(1, max(2, bays // 2))
                level = self.rng.randint(1, min(2, levels))
            elif cls == "B":
                bay = self.rng.randint(1, bays)
                level = self.rng.randint(1, min(3, levels))
            else:
                bay = self.rng.randint(1, bays)
                level = self.rng.randint(1, levels)
            code = location_code(lay, block, aisle, bay, level)
            if code not in self.used:
                self.used.add(code)
                return code
        raise SystemExit("slotting: no free location in zone %s" % cls)


# ---------------------------------------------------------------------------------------------
# Items

COLORS = {
    "BLK": "Black", "WHT": "White", "NVY": "Navy", "GRY": "Heather Grey", "RED": "Red",
    "GRN": "Forest Green", "OLV": "Olive", "YLW": "Yellow", "IND": "Indigo", "KHK": "Khaki",
    "BRN": "Brown", "NAT": "Natural", "SND": "Sand",
}

# (code, description, colours, sizes, weight range g, dims mm (l, w, h), case qty or None)
ACME_STYLES = [
    ("TSH", "Crew Tee", ["BLK", "WHT", "NVY", "GRY", "RED", "OLV"],
     ["XS", "S", "M", "L", "XL", "XXL"], (150, 230), (300, 250, 20), 24),
    ("VNK", "V-Neck Tee", ["BLK", "WHT", "NVY", "GRY"], ["S", "M", "L", "XL"],
     (140, 200), (300, 250, 20), 24),
    ("TNK", "Tank Top", ["BLK", "WHT", "GRY"], ["XS", "S", "M", "L", "XL"],
     (100, 150), (280, 220, 15), 24),
    ("POL", "Pique Polo", ["BLK", "WHT", "NVY", "GRN"], ["S", "M", "L", "XL", "XXL"],
     (220, 300), (320, 260, 30), 12),
    ("FLN", "Flannel Shirt", ["RED", "GRN"], ["S", "M", "L", "XL"],
     (320, 420), (330, 270, 40), 12),
    ("SWT", "Crewneck Sweatshirt", ["GRY", "NVY", "BLK"], ["S", "M", "L", "XL"],
     (450, 560), (350, 300, 50), 12),
    ("HOD", "Pullover Hoodie", ["BLK", "GRY", "NVY", "OLV"], ["S", "M", "L", "XL", "XXL"],
     (560, 720), (360, 310, 60), 12),
    ("ZHD", "Zip Hoodie", ["BLK", "GRY"], ["S", "M", "L", "XL"],
     (600, 760), (360, 310, 65), 12),
    ("WND", "Windbreaker", ["BLK", "NVY"], ["S", "M", "L", "XL"],
     (280, 360), (350, 280, 45), 12),
    ("JKT", "Rain Jacket", ["BLK", "NVY", "YLW"], ["S", "M", "L", "XL"],
     (520, 680), (400, 320, 80), 6),
    ("PUF", "Puffer Jacket", ["BLK", "OLV"], ["S", "M", "L", "XL"],
     (850, 1100), (420, 340, 120), 6),
    ("PRK", "Insulated Parka", ["BLK"], ["S", "M", "L", "XL"],
     (1300, 1500), (450, 360, 150), 4),
    ("JNS", "Slim Jeans", ["IND", "BLK"], ["28", "30", "32", "34", "36", "38"],
     (600, 720), (380, 300, 50), 12),
    ("CHN", "Chino Pant", ["KHK", "NVY"], ["30", "32", "34", "36"],
     (480, 560), (380, 300, 45), 12),
    ("LEG", "Performance Leggings", ["BLK", "NVY"], ["XS", "S", "M", "L", "XL"],
     (200, 260), (280, 200, 30), 24),
    ("SHO", "Running Shorts", ["BLK", "GRY", "NVY"], ["S", "M", "L", "XL"],
     (140, 190), (260, 220, 25), 24),
    ("DRS", "Wrap Dress", ["BLK", "RED", "NVY"], ["XS", "S", "M", "L"],
     (280, 380), (340, 280, 35), 12),
    ("SCK", "Crew Socks 3-Pack", ["BLK", "WHT"], ["SM", "LXL"],
     (85, 110), (220, 110, 30), 48),
    ("CAP", "Baseball Cap", ["BLK", "NVY", "KHK", "RED"], ["OS"],
     (100, 130), (270, 190, 120), 24),
    ("BNE", "Knit Beanie", ["BLK", "GRY", "RED"], ["OS"],
     (80, 100), (230, 200, 30), 36),
    ("BLT", "Leather Belt", ["BLK", "BRN"], ["S", "M", "L"],
     (150, 190), (300, 120, 40), None),
    ("TOT", "Canvas Tote", ["NAT", "BLK"], ["OS"],
     (180, 240), (380, 330, 20), None),
]

# (code, product, variants [(variant code, variant description)], weight range g,
#  dims mm, lot tracked, case qty or None, shelf life months)
LIP_SHADES = ["RUBY", "CORAL", "NUDE", "MAUVE", "BERRY", "ROSE", "CHERRY", "PLUM", "BRICK",
              "PEONY", "SCARLET", "CARAMEL", "BLUSH", "WINE", "TERRA", "ORCHID", "SIENNA",
              "FUCHSIA", "COCOA", "POPPY"]
FND_SHADES = ["%d%s" % (t, u) for t in (110, 120, 130, 210, 220, 230, 310, 320, 330, 410)
              for u in ("N", "W")]


def v(codes):
    return [(c, c.title()) for c in codes]


GLOBEX_LINES = [
    ("LIP", "Matte Lipstick 3.5 g", v(LIP_SHADES), (25, 35), (85, 25, 25), True, 12, 36),
    ("GLS", "Lip Gloss 8 ml", v(["CLEAR", "PINK", "PEACH", "NUDE", "BERRY", "GOLD", "ROSE",
                                "CORAL", "MOCHA", "LILAC"]), (30, 40), (95, 25, 25), True, 12,
     30),
    ("FND", "Liquid Foundation 30 ml", [(s, "Shade " + s) for s in FND_SHADES], (85, 110),
     (110, 45, 35), True, 6, 30),
    ("CON", "Concealer 6 ml", [(s, "Shade " + s) for s in FND_SHADES[::2]], (30, 40),
     (95, 30, 25), True, 12, 30),
    ("MSC", "Volume Mascara 10 ml", [("BLK", "Black"), ("BRN", "Brown"),
                                     ("BLK-WP", "Black, waterproof"),
                                     ("BRN-WP", "Brown, waterproof")], (30, 45),
     (130, 30, 25), True, 12, 24),
    ("EYL", "Gel Eyeliner", v(["BLACK", "BROWN", "NAVY"]), (20, 30), (140, 20, 20), True, 12,
     36),
    ("PAL", "Eyeshadow Palette", v(["NUDES", "SMOKY", "SUNSET", "JEWEL", "ROSEGOLD",
                                    "MIDNIGHT"]), (140, 190), (170, 110, 20), True, 6, 36),
    ("BLS", "Powder Blush", v(["PEACH", "ROSE", "CORAL", "PLUM", "BRONZE", "APRICOT"]),
     (60, 80), (80, 80, 20), True, 12, 36),
    ("SRM", "Face Serum 30 ml", [("VITC", "Vitamin C"), ("HYAL", "Hyaluronic Acid"),
                                 ("RETI", "Retinol 0.3%")], (95, 120), (120, 45, 45), True, 6,
     18),
    ("MOI", "Daily Moisturizer 50 ml", v(["LIGHT", "RICH", "SPF15"]), (150, 190),
     (80, 80, 70), True, 6, 24),
    ("CLN", "Cleanser 150 ml", v(["GEL", "FOAM", "CREAM"]), (180, 220), (170, 55, 45), True,
     12, 30),
    ("SPF", "Sunscreen 50 ml", [("30", "SPF 30"), ("50", "SPF 50"), ("50-TINT", "SPF 50 tinted"),
                                ("KIDS50", "Kids SPF 50")], (70, 90), (140, 50, 35), True, 12,
     24),
    ("TON", "Toner 200 ml", v(["ROSE", "WITCHHAZEL"]), (240, 280), (170, 60, 60), True, 12, 30),
    ("SHP", "Shampoo", [("HYD-250", "Hydrating 250 ml"), ("HYD-500", "Hydrating 500 ml"),
                        ("VOL-250", "Volume 250 ml"), ("VOL-500", "Volume 500 ml")],
     (290, 580), (200, 70, 50), True, 12, 30),
    ("CND", "Conditioner", [("HYD-250", "Hydrating 250 ml"), ("HYD-500", "Hydrating 500 ml"),
                            ("VOL-250", "Volume 250 ml"), ("VOL-500", "Volume 500 ml")],
     (290, 580), (200, 70, 50), True, 12, 30),
    ("EDP", "Eau de Parfum", [("AMBER-50", "Amber Dusk 50 ml"), ("AMBER-100", "Amber Dusk 100 ml"),
                              ("CITRUS-50", "Citrus Grove 50 ml"),
                              ("CITRUS-100", "Citrus Grove 100 ml"),
                              ("IRIS-50", "Velvet Iris 50 ml"),
                              ("IRIS-100", "Velvet Iris 100 ml")], (280, 520),
     (110, 90, 60), True, 6, 48),
    ("BDL", "Body Lotion 400 ml", v(["COCONUT", "LAVENDER", "UNSCENTED"]), (430, 480),
     (210, 80, 55), True, 12, 30),
    ("BRS", "Brush Set", v(["5PC", "9PC", "TRAVEL"]), (120, 260), (220, 90, 40), False, 12,
     None),
    ("SPG", "Blending Sponge", v(["PINK", "BLACK"]), (15, 20), (80, 60, 60), False, 24, None),
    ("BAG", "Makeup Bag", v(["SMALL", "LARGE"]), (110, 190), (230, 150, 90), False, None,
     None),
    ("MIR", "Mirror", [("LED", "LED Vanity"), ("CMP", "Compact")], (90, 650), (250, 200, 60),
     False, None, None),
]


def make_items(rng):
    """Returns (items, meta): meta[sku] = {"tenant", "lot_tracked", "shelf"} for stocking."""
    items, meta = [], {}

    # Acme: U.P.C. company prefix 614141 (GTIN-12), item references from 00101 up.
    ref = 100
    for code, desc, colours, sizes, (wlo, whi), (l, w, h), case in ACME_STYLES:
        for col in colours:
            for size in sizes:
                ref += 1
                body = "614141%05d" % ref
                gtin = body + gs1_check_digit(body)
                sku = "ACM-%s-%s-%s" % (code, col, size)
                size_txt = "One Size" if size == "OS" else ("Size " + size)
                item = {
                    "tenant": "acme", "sku": sku,
                    "description": "Acme %s, %s, %s" % (desc, COLORS[col], size_txt),
                    "gtins": [gtin],
                    "weight_g": rng.randint(wlo, whi),
                    "dims_mm": {"l": l, "w": w, "h": h + rng.choice((0, 0, 5, 10))},
                }
                if case and rng.random() < 0.35:
                    item["gtins"].append({"gtin": case_gtin14(gtin, 1), "qty": case})
                items.append(item)
                meta[sku] = {"tenant": "acme", "lot_tracked": False, "shelf": None}

    # Globex: GS1 Germany company prefix 4012345 (GTIN-13), item references from 10001 up.
    ref = 10000
    for code, desc, variants, (wlo, whi), (l, w, h), lot, case, shelf in GLOBEX_LINES:
        for vcode, vdesc in variants:
            ref += 1
            body = "4012345%05d" % ref
            gtin = body + gs1_check_digit(body)
            sku = "GLX-%s-%s" % (code, vcode)
            weight = rng.randint(wlo, whi)
            if "500" in vcode or "100" in vcode or vcode == "LED":
                weight = whi - rng.randint(0, 15)
            elif "250" in vcode or "-50" in vcode or vcode == "CMP":
                weight = wlo + rng.randint(0, 15)
            item = {
                "tenant": "globex", "sku": sku,
                "description": "Globex %s, %s" % (desc, vdesc),
                "gtins": [gtin],
                "weight_g": weight,
                "dims_mm": {"l": l, "w": w, "h": h},
            }
            if lot:
                item["lot_tracked"] = True
            if case and rng.random() < 0.45:
                item["gtins"].append({"gtin": case_gtin14(gtin, 1), "qty": case})
                if rng.random() < 0.3:  # a master carton as well
                    item["gtins"].append({"gtin": case_gtin14(gtin, 2), "qty": case * 8})
            items.append(item)
            meta[sku] = {"tenant": "globex", "lot_tracked": lot, "shelf": shelf}
    return items, meta


# ---------------------------------------------------------------------------------------------
# Stock

def add_months(d, months):
    y, m = divmod(d.month - 1 + months, 12)
    y += d.year
    m += 1
    last = [31, 29 if (y % 4 == 0 and y % 100 != 0) or y % 400 == 0 else 28, 31, 30, 31, 30,
            31, 31, 30, 31, 30, 31][m - 1]
    return datetime.date(y, m, min(d.day, last))


def make_lots(rng, shelf, short_dated):
    """2-3 production lots of a lot-tracked item: [(lot code, expiry date)], oldest first.
    Lots were produced before TODAY and expire between February 2027 and the end of 2028 (a
    SHORT_DATED item's oldest lot within weeks of TODAY). Lot code: L, production year and
    month, batch letter (L2611A)."""
    lots = []
    n = rng.choice((2, 2, 3))
    for i in range(n):
        if i == 0 and short_dated:
            expiry = TODAY + datetime.timedelta(days=rng.randint(9, 45))
            produced = add_months(expiry, -shelf)
        else:
            lo = add_months(datetime.date(2027, 2, 1), -shelf)
            hi = min(TODAY - datetime.timedelta(days=10),
                     add_months(datetime.date(2028, 12, 31), -shelf))
            produced = lo + datetime.timedelta(days=rng.randint(0, (hi - lo).days))
            expiry = add_months(produced, shelf)
        lots.append((produced, expiry))
    lots.sort(key=lambda x: x[1])
    out, seen = [], set()
    for produced, expiry in lots:
        batch = "A"
        code = "L%02d%02d" % (produced.year % 100, produced.month)
        while code + batch in seen:
            batch = chr(ord(batch) + 1)
        seen.add(code + batch)
        out.append((code + batch, expiry))
    return out


def make_stock(rng, items, meta):
    slotters = {wh["id"]: Slotter(wh, rng) for wh in WAREHOUSES}
    wh_ids = [wh["id"] for wh in WAREHOUSES]
    stock = []
    lot_items = [it["sku"] for it in items if meta[it["sku"]]["lot_tracked"]]
    short_dated = set(rng.sample(lot_items, 12))
    for it in items:
        sku, tenant = it["sku"], it["tenant"]
        m = meta[sku]
        weights = (20, 30, 50)
        size = sku.rsplit("-", 1)[-1]
        if size in ("M", "L", "32", "34") or sku.startswith(("GLX-LIP", "GLX-SRM", "GLX-MSC")):
            weights = (45, 35, 20)  # the sizes and lines that sell
        elif size in ("XS", "XXL", "28", "38"):
            weights = (5, 25, 70)
        cls = rng.choices("ABC", weights=weights)[0]
        r = rng.random()
        if r < 0.2:
            whs = list(wh_ids)
        elif r < 0.85:
            whs = rng.sample(wh_ids, 2)
        else:
            # Single-warehouse items: regional or slow; Globex keeps some of its range in Reno.
            whs = [rng.choice(wh_ids)]
        whs.sort(key=wh_ids.index)
        lots = make_lots(rng, m["shelf"], sku in short_dated) if m["lot_tracked"] else None
        short_wh = rng.choice(whs) if sku in short_dated else None
        for wh in whs:
            if cls == "A":
                total = rng.randint(80, 400)
                nloc = rng.choice((2, 2, 3))
            elif cls == "B":
                total = rng.randint(25, 160)
                nloc = rng.choice((1, 2, 2, 3))
            else:
                total = rng.randint(3, 60)
                nloc = rng.choice((1, 1, 1, 2))
            if wh == short_wh:
                nloc = min(nloc, 2)  # plus one location holding the short-dated lot
            nloc = min(nloc, total)
            # Split the total over the locations, the first (pick face) holding the most.
            cuts = sorted(rng.sample(range(1, total), nloc - 1)) if nloc > 1 else []
            parts = [b - a for a, b in zip([0] + cuts, cuts + [total])]
            parts.sort(reverse=True)
            for i, qty in enumerate(parts):
                row = {"warehouse": wh, "location": slotters[wh].take(cls if i == 0 else
                                                                      ("B" if cls == "A"
                                                                       else "C")),
                       "tenant": tenant, "sku": sku, "qty": qty}
                if lots:
                    fresh = lots[1:] if sku in short_dated else lots
                    lot = fresh[min(i, len(fresh) - 1)]
                    row["lot"] = lot[0]
                    row["expiry"] = lot[1].isoformat()
                stock.append(row)
            if wh == short_wh:
                # The remainder of the oldest lot, expiring within weeks, in its own location.
                stock.append({"warehouse": wh, "location": slotters[wh].take("C"),
                              "tenant": tenant, "sku": sku, "qty": rng.randint(4, 30),
                              "lot": lots[0][0], "expiry": lots[0][1].isoformat()})
    return stock, slotters


# ---------------------------------------------------------------------------------------------
# Output

def check(network):
    """Self-checks the engine would otherwise report one at a time."""
    gtins = set()
    for it in network["items"]:
        for g in it["gtins"]:
            code = g if isinstance(g, str) else g["gtin"]
            assert gtin_valid(code), code
            assert code.rjust(14, "0") not in gtins, code
            gtins.add(code.rjust(14, "0"))
    keys = set()
    for s in network["stock"]:
        k = (s["warehouse"], s["location"], s["tenant"], s["sku"], s.get("lot", ""))
        assert k not in keys, k
        keys.add(k)
    by_loc = {}
    for s in network["stock"]:
        by_loc.setdefault((s["warehouse"], s["location"]), set()).add(s["sku"])
    assert all(len(v) == 1 for v in by_loc.values())


def write(network, path):
    lines = ["{"]
    sections = list(network.items())
    for si, (name, elems) in enumerate(sections):
        lines.append('"%s": [' % name)
        for i, e in enumerate(elems):
            lines.append(json.dumps(e, separators=(",", ":")) +
                         ("," if i + 1 < len(elems) else ""))
        lines.append("]" + ("," if si + 1 < len(sections) else ""))
    lines.append("}")
    text = "\n".join(lines) + "\n"
    json.loads(text)  # well-formed
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "w", encoding="ascii", newline="\n") as f:
        f.write(text)
    return len(text)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=os.path.join(here, "..", "engine", "demo", "network.json"))
    ap.add_argument("--seed", type=int, default=SEED)
    args = ap.parse_args()

    rng = random.Random(args.seed)
    items, meta = make_items(rng)
    stock, _ = make_stock(rng, items, meta)
    network = {"tenants": TENANTS, "warehouses": WAREHOUSES, "items": items, "stock": stock}
    check(network)
    size = write(network, os.path.normpath(args.out))

    print("wrote %s (%d bytes)" % (os.path.normpath(args.out), size))
    for wh in WAREHOUSES:
        rows = [s for s in stock if s["warehouse"] == wh["id"]]
        print("  %s %s: %d locations, %d stock rows, %d skus, %d units" % (
            wh["id"], wh["name"], location_count(wh["layout"]), len(rows),
            len({(s["tenant"], s["sku"]) for s in rows}), sum(s["qty"] for s in rows)))
    for t in TENANTS:
        its = [i for i in items if i["tenant"] == t["id"]]
        where = {}
        for s in stock:
            if s["tenant"] == t["id"]:
                where.setdefault(s["sku"], set()).add(s["warehouse"])
        spread = [sum(1 for w in where.values() if len(w) == n) for n in (1, 2, 3)]
        print("  %s: %d items (%d lot-tracked, %d with case GTINs); in 1/2/3 warehouses: %s" % (
            t["id"], len(its), sum(1 for i in its if i.get("lot_tracked")),
            sum(1 for i in its if len(i["gtins"]) > 1), "/".join(map(str, spread))))
    lots = [s for s in stock if "expiry" in s]
    soon = sorted({(s["sku"], s["warehouse"], s["lot"], s["expiry"]) for s in lots
                   if s["expiry"] < (TODAY + datetime.timedelta(days=60)).isoformat()})
    print("  %d stock rows with lots, expiring %s..%s; %d expire before %s" % (
        len(lots), min(s["expiry"] for s in lots), max(s["expiry"] for s in lots), len(soon),
        (TODAY + datetime.timedelta(days=60)).isoformat()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
