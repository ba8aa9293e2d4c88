// The finding form on a tablet: the device's position (WGS-84, as the Geolocation API gives it) and its
// clock go with the finding; the position is asked for once the page opens and never holds the form back:
// without a fix (no signal, permission refused, a page not served over HTTPS) the finding is sent
// without one. The form's client_key, made when the page was served, is kept by this page and sent again
// on a retry, so a double tap or a resend after a dropped connection records the finding once.
(function () {
  var form = document.getElementById('finding-form');
  if (!form) return;
  var status = document.getElementById('position-status');
  var key = document.getElementById('client_key');
  var submit = document.getElementById('finding-submit');

  if (!key.value) {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    key.value = Array.prototype.map.call(bytes, function (b) { return ('0' + b.toString(16)).slice(-2); }).join('');
  }

  function say(text) { if (status) status.textContent = text; }

  if (navigator.geolocation) {
    navigator.geolocation.getCurrentPosition(function (position) {
      var c = position.coords;
      document.getElementById('latitude').value = c.latitude.toFixed(7);
      document.getElementById('longitude').value = c.longitude.toFixed(7);
      document.getElementById('accuracy').value = Math.round(c.accuracy * 10) / 10;
      say('定位：已取得（精度约 ' + Math.round(c.accuracy) + ' 米）');
    }, function () {
      say('定位：未能取得（可直接提交，问题记录中将注明未取得定位）');
    }, {enableHighAccuracy: true, timeout: 15000, maximumAge: 60000});
  } else {
    say('定位：本设备不支持（可直接提交）');
  }

  form.addEventListener('submit', function (event) {
    if (form.dataset.sent) { event.preventDefault(); return; } // a second tap: the first is on its way
    form.dataset.sent = 'true';
    document.getElementById('device_time').value = new Date().toISOString();
    if (submit) { submit.disabled = true; submit.textContent = '正在保存…'; }
  });
  // Back to the page from the browser's history (the first send failed on the way): it may be sent again,
  // with the same key.
  window.addEventListener('pageshow', function () {
    delete form.dataset.sent;
    if (submit) { submit.disabled = false; submit.textContent = '保存问题'; }
  });
})();
