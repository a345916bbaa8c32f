// The device map: Leaflet and leaflet.markercluster bundled under lib/ (never a CDN), loaded on first use.
let leafletReady;

function loadScript(src) {
    return new Promise((resolve, reject) => {
        const script = document.createElement('script');
        script.src = src;
        script.onload = resolve;
        script.onerror = () => reject(new Error(`cannot load ${src}`));
        document.head.appendChild(script);
    });
}

function loadStyle(href) {
    if (!document.querySelector(`link[href="${href}"]`)) {
        const link = document.createElement('link');
        link.rel = 'stylesheet';
        link.href = href;
        document.head.appendChild(link);
    }
}

function ensureLeaflet() {
    leafletReady ??= (async () => {
        loadStyle('lib/leaflet/leaflet.css');
        loadStyle('lib/leaflet.markercluster/MarkerCluster.css');
        loadStyle('lib/leaflet.markercluster/MarkerCluster.Default.css');
        if (!window.L) {
            await loadScript('lib/leaflet/leaflet.js');
        }
        if (!window.L.markerClusterGroup) {
            await loadScript('lib/leaflet.markercluster/leaflet.markercluster.js');
        }
    })();
    return leafletReady;
}

// A cluster takes the colour of the worst status among its devices.
const severity = { offline: 3, 'at-risk': 2, unknown: 1, online: 0 };

function escapeHtml(text) {
    return String(text ?? '').replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
}

function deviceIcon(status) {
    return L.divIcon({ className: `fleet-marker fleet-marker-${status}`, iconSize: [14, 14] });
}

function clusterIcon(cluster) {
    let worst = 'online';
    for (const marker of cluster.getAllChildMarkers()) {
        if (severity[marker.options.status] > severity[worst]) {
            worst = marker.options.status;
        }
    }
    const count = cluster.getChildCount();
    const size = count < 100 ? 34 : count < 1000 ? 40 : 48;
    return L.divIcon({
        html: `<div><span>${count}</span></div>`,
        className: `marker-cluster fleet-cluster fleet-cluster-${worst}`,
        iconSize: L.point(size, size),
    });
}

export async function create(element, options) {
    await ensureLeaflet();
    const map = L.map(element, { worldCopyJump: true, preferCanvas: true, minZoom: 1, maxZoom: 18 }).setView([30, 10], 2);
    if (options.tileUrl) {
        L.tileLayer(options.tileUrl, { attribution: options.tileAttribution ?? '', maxZoom: 19 }).addTo(map);
    } else {
        element.classList.add('fleet-map-plain');
        try {
            const outline = await fetch(options.outlineUrl);
            if (outline.ok) {
                L.geoJSON(await outline.json(), {
                    interactive: false,
                    style: { color: '#78909c', weight: 1, fillColor: '#b0bec5', fillOpacity: 0.5 },
                }).addTo(map);
            }
        } catch {
            // Markers matter more than the outline; a plain background is the fallback.
        }
    }

    const clusters = L.markerClusterGroup({ chunkedLoading: true, showCoverageOnHover: false, iconCreateFunction: clusterIcon });
    map.addLayer(clusters);
    const markers = new Map();
    const bounds = L.latLngBounds([]);

    return {
        addDevices(devices) {
            const added = [];
            for (const d of devices) {
                if (markers.has(d.id)) {
                    continue;
                }
                const marker = L.marker([d.lat, d.lon], { icon: deviceIcon(d.status), status: d.status, title: d.serial });
                marker.bindPopup(() =>
                    `<b>${escapeHtml(d.name ?? d.serial)}</b><br>${escapeHtml(d.serial)}<br>status: ${escapeHtml(marker.options.status)}` +
                    `<br><a href="devices/${encodeURIComponent(d.id)}" data-testid="map-device-link">Open device</a>`);
                markers.set(d.id, marker);
                bounds.extend([d.lat, d.lon]);
                added.push(marker);
            }
            clusters.addLayers(added);
            element.dataset.markers = String(markers.size);
        },
        setStatuses(changes) {
            for (const change of changes) {
                const marker = markers.get(change.id);
                if (marker) {
                    marker.options.status = change.status;
                    marker.setIcon(deviceIcon(change.status));
                }
            }
            clusters.refreshClusters();
        },
        fit() {
            if (bounds.isValid()) {
                map.fitBounds(bounds, { padding: [24, 24], maxZoom: 10 });
            }
        },
        dispose() {
            map.remove();
        },
    };
}
