// The archive download: says that it is being prepared, with a progress bar, when it takes more than a moment.
const link = document.querySelector("[data-archive]");
const status = document.getElementById("archive-status");

async function download(event) {
  event.preventDefault();
  const slow = setTimeout(() => {
    status.textContent = "Preparing the archive… ";
    status.append(Object.assign(document.createElement("progress"), { ariaLabel: "Preparing the archive" }));
  }, 400);
  try {
    const response = await fetch(link.href, { credentials: "same-origin" });
    if (!response.ok) throw new Error(String(response.status));
    const blob = await response.blob();
    const name = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "");
    const save = Object.assign(document.createElement("a"), {
      href: URL.createObjectURL(blob),
      download: name ? name[1] : "record.zip",
    });
    document.body.append(save);
    save.click();
    save.remove();
    setTimeout(() => URL.revokeObjectURL(save.href), 10000);
    status.textContent = "The archive is downloaded.";
  } catch {
    status.textContent = "The archive could not be made. Please try again.";
  } finally {
    clearTimeout(slow);
  }
}

if (link && status) link.addEventListener("click", download);
