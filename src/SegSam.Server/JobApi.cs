using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using SegSam.Inference;

namespace SegSam.Server;

/// <summary>
/// The long model calls as jobs: propagate an object through the volume, segment every structure
/// with the PG-SAM model. Each answers 202 with the job and Location /api/v1/jobs/{jid}; the job
/// calls the library's <see cref="SegmentationSession"/> and registers what it found under object ids.
/// </summary>
public static class JobApi
{
    public const string PropagateKind = "propagate";
    public const string SegmentAllKind = "segment-all";

    public static void Map(RouteGroupBuilder api)
    {
        api.MapPost("/volumes/{id}/objects/{oid:int}/propagate", (string id, int oid,
            [FromBody(EmptyBodyBehavior = Microsoft.AspNetCore.Mvc.ModelBinding.EmptyBodyBehavior.Allow)] PropagateRequest? range,
            VolumeRegistry registry, JobRegistry jobs) =>
        {
            var lease = registry.Lease(id);
            SlicePrediction start;
            try
            {
                start = lease.Entry.Answer(oid);
            }
            catch
            {
                lease.Dispose();
                throw;
            }
            int last = lease.Entry.Session.Dims[start.Axis] - 1;
            (int, int)? limits = range?.First is null && range?.Last is null ? null : (range.First ?? 0, range.Last ?? last);
            return Accepted(jobs.Start(PropagateKind, lease, (progress, cancel) => Propagate(lease.Entry, oid, start, limits, progress, cancel)));
        });

        api.MapPost("/volumes/{id}/segment-all", (string id, string? axis, VolumeRegistry registry, JobRegistry jobs) =>
        {
            var lease = registry.Lease(id);
            int? along;
            try
            {
                if (lease.Entry.PromptFreeModel is null)
                    throw new ApiProblem(StatusCodes.Status400BadRequest,
                        $"volume {id} was opened without a PG-SAM model: segment-all needs one (start the server with --model PGSAM_MODEL, then open the volume again)");
                along = axis is null ? null : VolumeApi.Axis(axis);
            }
            catch
            {
                lease.Dispose();
                throw;
            }
            return Accepted(jobs.Start(SegmentAllKind, lease, (progress, cancel) => SegmentAll(lease.Entry, along, progress, cancel)));
        });

        api.MapGet("/jobs/{jid}", (string jid, JobRegistry jobs) => Results.Ok(jobs.Get(jid).View()));

        api.MapDelete("/jobs/{jid}", (string jid, JobRegistry jobs) =>
        {
            var job = jobs.Get(jid);
            if (job.IsFinished) return Results.NoContent();
            job.Cancellation.Cancel();
            return Results.Accepted($"/api/v1/jobs/{job.Id}", job.View());
        });
    }

    static IResult Accepted(Job job) => Results.Accepted($"/api/v1/jobs/{job.Id}", job.View());

    /// <summary>
    /// Propagates object <paramref name="oid"/>; the 3D object replaces its 2D answer under the same
    /// id, and an accepted 2D object is replaced in the label volume by the 3D one with its label.
    /// </summary>
    static object Propagate(VolumeEntry entry, int oid, SlicePrediction start, (int, int)? range, IProgress<(int Done, int Total)> progress, CancellationToken cancel)
    {
        var segmented = entry.Session.Propagate(start, range, progress, cancel);
        lock (entry)
        {
            if (!entry.Objects.TryGetValue(oid, out var tracked))
                throw new ApiProblem(StatusCodes.Status409Conflict, $"object {oid} was removed while it was being propagated");
            entry.Objects[oid] = tracked with { Segmented = segmented };
            if (entry.Accepted.TryGetValue(oid, out int acceptedId))
            {
                int label = entry.Session.Objects.First(o => o.Id == acceptedId).Label;
                entry.Session.Remove(acceptedId);
                entry.Accepted[oid] = entry.Session.Accept(segmented, label).Id;
            }
        }
        return new { objectId = oid, firstSlice = segmented.FirstSlice, lastSlice = segmented.LastSlice, voxels = segmented.VoxelCount, category = segmented.Start.ClassName };
    }

    /// <summary>Segments every structure prompt-free; each becomes an object, accepted with its class number (removable like any other).</summary>
    static object SegmentAll(VolumeEntry entry, int? axis, IProgress<(int Done, int Total)> progress, CancellationToken cancel)
    {
        var structures = entry.Session.SegmentStructures(axis, progress: progress, cancel: cancel);
        lock (entry)
        {
            var objects = structures.Select(o =>
            {
                var kept = entry.Session.Accept(o);
                int oid = entry.Add(new TrackedObject(null, o));
                entry.Accepted[oid] = kept.Id;
                return new { objectId = oid, category = o.Start.ClassName, label = kept.Label, voxels = o.VoxelCount };
            }).ToList();
            return new { objects };
        }
    }
}
